// Specification of how eval:feeds reads feedparser's `Expect:` answers and holds Newswatch's
// fields against them (scripts/feedparser-expect.ts, scripts/feedparser-check.ts).

import { describe, expect, it } from 'vitest';
import type { Article } from '../../src/feeds/article.js';
import { checkExpectation, type Observed } from '../../scripts/feedparser-check.js';
import { conjuncts, expectLine, parseExpression } from '../../scripts/feedparser-expect.js';

const article = (fields: Partial<Article>): Article => ({ id: 'x', feed: 'eval', ...fields });
const observed = (articles: Article[], feed = {}): Observed => ({ bytes: Buffer.from(''), articles, feed });
const statuses = (expression: string, seen: Observed, file = '<rss><item></item></rss>') =>
  checkExpectation(parseExpression(expression), seen, file).map((v) => v.status);

describe('expectLine and parseExpression', () => {
  it('finds the Expect line of the header comment', () => {
    expect(expectLine("<!--\nDescription: x\nExpect:      not bozo and feed['title'] == 'a'\n-->\n<rss/>")).toBe("not bozo and feed['title'] == 'a'");
  });

  it('reads Python string escapes, concatenation and triple quotes', () => {
    const node = parseExpression(`entries[0]['title'] == 'don\\u2019t \\xa3' + "x" and feed.title == '''it's'''`);
    const [first, second] = conjuncts(node);
    expect(first).toMatchObject({ kind: 'compare', operands: [{ kind: 'index' }, { kind: 'add' }] });
    expect(second).toMatchObject({ kind: 'compare', operands: [{ kind: 'attr', name: 'title' }, { kind: 'literal', value: "it's" }] });
  });

  it('refuses what it does not understand', () => {
    expect(() => parseExpression('feed[')).toThrow();
  });
});

describe('checkExpectation', () => {
  it('skips bozo and fields Newswatch does not expose, and checks the rest', () => {
    expect(statuses("not bozo and entries[0]['title'] == 'T' and feed['tagline'] == 'x'", observed([article({ title: 'T' })]))).toEqual(['skip', 'pass', 'skip']);
  });

  it('compares HTML values as text, so markup and white space do not count but words do', () => {
    const seen = observed([article({ summary: 'Example Atom' })]);
    expect(statuses("entries[0]['summary'] == 'Example <b>Atom</b>'", seen)).toEqual(['pass']);
    expect(statuses("entries[0]['summary'] == 'Example <b>Atoms</b>'", seen)).toEqual(['fail']);
  });

  it('keeps Atom plain text literal: brackets in a type="text" element are text', () => {
    const file = '<feed xmlns="http://www.w3.org/2005/Atom"><entry><title type="text">a &lt;b&gt; c</title></entry></feed>';
    expect(statuses("entries[0]['title'] == 'a <b> c'", observed([article({ title: 'a <b> c' })]), file)).toEqual(['pass']);
    expect(statuses("entries[0]['title'] == 'a <b> c'", observed([article({ title: 'a c' })]), file)).toEqual(['fail']);
  });

  it('wants the links of an HTML value in our content HTML', () => {
    const withLink = article({ content: 'click', contentHtml: '<a href="http://example.com/x">click</a>' });
    expect(statuses(`entries[0]['content'][0]['value'] == '<a href="http://example.com/x">click</a>'`, observed([withLink]))).toEqual(['pass']);
    expect(statuses(`entries[0]['content'][0]['value'] == '<a href="http://example.com/y">click</a>'`, observed([withLink]))).toEqual(['fail']);
  });

  it('compares dates as UTC times and counts items', () => {
    const seen = observed([article({ published: '2003-12-31T10:14:55.000Z' })]);
    expect(statuses("entries[0]['published_parsed'] == (2003, 12, 31, 10, 14, 55, 2, 365, 0)", seen)).toEqual(['pass']);
    expect(statuses('len(entries) == 2', seen)).toEqual(['fail']);
  });

  it('fails every checked field of a feed we refused', () => {
    expect(statuses("feed['title'] == 'x'", { bytes: Buffer.from(''), error: 'not a feed' })).toEqual(['fail']);
  });
});
