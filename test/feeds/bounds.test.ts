// Bounds on every field an article brings (src/feeds/bounds.ts), and that normalise and withPage
// apply them.

import { describe, expect, it } from 'vitest';
import type { Extracted } from '../../src/extract/index.js';
import { withPage, type Article } from '../../src/feeds/article.js';
import { boundHtml, boundId, boundText, boundUrl, FIELD_LIMITS } from '../../src/feeds/bounds.js';
import { normaliseFeed } from '../../src/feeds/normalise.js';
import { parseFeed } from '../../src/feeds/parse.js';

describe('boundText', () => {
  it('leaves short text alone', () => {
    expect(boundText('Kyiv talks', 20)).toBe('Kyiv talks');
  });

  it('cuts on a word boundary and ends with an ellipsis, the ellipsis within the limit', () => {
    const cut = boundText('Ceasefire talks resume in Istanbul on Monday', 30);
    expect(cut).toBe('Ceasefire talks resume in…');
    expect(cut.length).toBeLessThanOrEqual(30);
  });

  it('cuts one huge word where it must, and never splits a surrogate pair', () => {
    expect(boundText('x'.repeat(50), 10)).toBe(`${'x'.repeat(9)}…`);
    const cut = boundText('😀'.repeat(10), 6);
    expect(cut).toBe('😀😀…');
    expect(cut.length).toBeLessThanOrEqual(6);
  });
});

describe('boundHtml, boundId, boundUrl', () => {
  it('cuts HTML before the tag it would split', () => {
    expect(boundHtml('<p>one two</p><p class="x">three</p>', 20)).toBe('<p>one two</p>…');
  });

  it('replaces an over-long id with a stable hash, and drops an over-long URL', () => {
    const long = 'tag:'.padEnd(FIELD_LIMITS.id + 1, 'x');
    expect(boundId(long)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(boundId(long)).toBe(boundId(long));
    expect(boundId(`${long}y`)).not.toBe(boundId(long));
    expect(boundUrl(`https://example.org/${'a'.repeat(FIELD_LIMITS.url)}`)).toBeUndefined();
    expect(boundUrl('https://example.org/a')).toBe('https://example.org/a');
  });
});

describe('bounds at ingestion', () => {
  const huge = (word: string, n: number) => Array.from({ length: n }, () => word).join(' ');

  it('bounds every field of a feed item, a 9 MB title included, without parsing all of it', async () => {
    const title = `Kyiv truce ${huge('words', 1_500_000)}`;
    const feed = `<rss version="2.0"><channel><item>
      <guid>${'g'.repeat(5_000)}</guid><title>${title}</title><link>https://example.org/${'p'.repeat(5_000)}</link>
      <description>${huge('summary', 100_000)}</description><author>${huge('name', 10_000)}</author>
      ${Array.from({ length: 200 }, (_, i) => `<category>${i} ${huge('c', 100)}</category>`).join('')}
      <content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/">${`&lt;p&gt;${huge('body', 20)}&lt;/p&gt;`.repeat(5_000)}</content:encoded>
    </item></channel></rss>`;
    expect(title.length).toBeGreaterThan(9_000_000);
    const started = Date.now();
    const [item] = normaliseFeed(await parseFeed(feed, 't'), { id: 'f', url: 'https://example.org/feed' });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(item?.title?.startsWith('Kyiv truce words')).toBe(true);
    expect(item?.title?.endsWith('…')).toBe(true);
    expect(item?.title?.length).toBeLessThanOrEqual(FIELD_LIMITS.title);
    expect(item?.summary?.length).toBeLessThanOrEqual(FIELD_LIMITS.summary);
    expect(item?.author?.length).toBeLessThanOrEqual(FIELD_LIMITS.author);
    expect(item?.content?.length).toBeLessThanOrEqual(FIELD_LIMITS.content);
    expect(item?.contentHtml?.length).toBeLessThanOrEqual(FIELD_LIMITS.contentHtml);
    expect(item?.categories?.length).toBeLessThanOrEqual(FIELD_LIMITS.categories);
    expect(Math.max(...(item?.categories ?? []).map((c) => c.length))).toBeLessThanOrEqual(FIELD_LIMITS.category);
    expect(item?.id).toMatch(/^sha256:/);
    expect(item?.url).toBeUndefined();
  });

  it('bounds the page text merged into an article', () => {
    const article: Article = { id: 'a', feed: 'f', title: 'Short', content: 'teaser' };
    const page = { text: huge('page', 100_000), html: `<p>${huge('page', 100_000)}</p>`, title: 'T', byline: huge('by', 1_000) } as Extracted;
    const merged = withPage({ ...article, author: undefined }, page);
    expect(merged.content?.length).toBeLessThanOrEqual(FIELD_LIMITS.content);
    expect(merged.contentHtml?.length).toBeLessThanOrEqual(FIELD_LIMITS.contentHtml);
    expect(merged.author?.length).toBeLessThanOrEqual(FIELD_LIMITS.author);
  });
});
