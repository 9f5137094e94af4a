// simpleHtmlText reads simple HTML to the same text as cheerio + toOneLineText, and declines
// everything else.

import * as cheerio from 'cheerio';
import type { AnyNode } from 'domhandler';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toOneLineText } from '../../src/extract/text.js';
import { oneLine, simpleHtmlText } from '../../src/feeds/html-text.js';

const parsed = (html: string) => toOneLineText(cheerio.load(html, null, false).root()[0] as AnyNode);

// Pieces of fragments: words, white space of every kind, entities (with and without ";", numeric
// ones the parser replaces), stray "&" and "<", and tags: simple ones, nested or misnested at
// random, with attributes, and some the fast path must decline.
const TAGS = ['p', 'div', 'li', 'ul', 'h1', 'h2', 'blockquote', 'dd', 'dt', 'a', 'b', 'i', 'em', 'strong', 'span', 'font', 'code', 'table', 'td', 'tr', 'pre', 'script', 'style', 'textarea', 'title', 'select', 'option', 'form', 'button', 'nobr', 'svg', 'x-y'];
const VOIDS = ['br', 'hr', 'img', 'wbr', 'input'];
const ATTRS = ['', ' href="http://example.org/a?b=1&amp;c=2"', " class='x>y'", ' title="a/b"', ' data-x=1', ' alt=x/', ' hidden', '  id = "z" '];
const TEXT = ['Kyiv', 'ceasefire', 'don’t', "it's", ' ', '  ', '\n', '\r\n', '\t', '\u00a0', '\u0085', '\u0093', '&amp;', '&amp', '&nbsp;', '&rsquo;', '&#8217;', '&#x80;', '&#0;', '&#xD800;', '&notin;', '&notit;', '&copyx', '&bogus;', '&', ' < ', '<3', '&lt;p&gt;', 'a-b', '—', '😀'];

const piece = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...TEXT) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...TAGS), fc.constantFrom(...ATTRS), fc.boolean()).map(([t, a, upper]) => `<${upper ? t.toUpperCase() : t}${a}>`) },
  { weight: 3, arbitrary: fc.constantFrom(...TAGS).map((t) => `</${t}>`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...VOIDS), fc.constantFrom('', '/', ' /')).map(([t, s]) => `<${t}${s}>`) },
  { weight: 1, arbitrary: fc.constantFrom('<!-- c -->', '</br>', '<p/>', '</p class="x">', '<a:b>', '<', '\0') },
);
// Well nested: a random tree, mostly of simple elements so that the fast path is taken often,
// sometimes of others (were one of them read as simple, its parsing rules would show).
const SIMPLE = ['p', 'div', 'li', 'ul', 'ol', 'dl', 'dd', 'dt', 'h1', 'h2', 'blockquote', 'address', 'a', 'b', 'i', 'em', 'span', 'strong'];
const tree: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...TEXT.slice(0, 24)),
    fc.tuple(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...SIMPLE) }, { weight: 1, arbitrary: fc.constantFrom(...TAGS) }), fc.constantFrom(...ATTRS.slice(0, 4)), fc.array(tie('node'), { maxLength: 4 })).map(
      ([t, a, kids]) => `<${t}${a}>${kids.join('')}</${t}>`,
    ),
    fc.constantFrom('<br>', '<hr>', '<img src="x">'),
  ),
})).node;

describe('simpleHtmlText', () => {
  it('reads paragraphs, links, emphasis, line breaks and entities as the parser does', () => {
    const html = '<p><b>Kyiv</b> says the truce&nbsp;holds &amp; talks go on&#8230;</p><p>More <a href="/x?a=1&amp;b=2">here</a>.<br/>Next</p>';
    expect(simpleHtmlText(html)).toBe(parsed(html));
    expect(simpleHtmlText(html)).toBe('Kyiv says the truce holds & talks go on… More here. Next');
  });

  it('declines what it does not read itself: comments, tables, scripts, misnested tags, a bare "<"', () => {
    for (const html of ['a<!-- b -->c', '<table><td>a</td></table>', '<script>x</script>', '<b><i>a</b></i>', 'a < b', '<p/>', 'a\0b', '</br>']) {
      expect(simpleHtmlText(html)).toBeUndefined();
    }
  });

  it('gives what cheerio and toOneLineText give whenever it answers', () => {
    let answered = 0;
    fc.assert(
      fc.property(fc.oneof(fc.array(piece, { maxLength: 30 }).map((p) => p.join('')), fc.array(tree, { maxLength: 4 }).map((t) => t.join(''))), (html) => {
        const fast = simpleHtmlText(html);
        if (fast === undefined) return;
        answered++;
        expect(fast).toBe(parsed(html));
      }),
      { numRuns: 3_000 },
    );
    // The check means something only if the fast path was taken often.
    expect(answered).toBeGreaterThan(1_000);
  });
});

describe('oneLine', () => {
  it('folds white space as replace(/\\s+/g, " ") and trim do', () => {
    const piece = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('word', 'a', 'Київ', '.', '&') },
      { weight: 2, arbitrary: fc.constantFrom(' ', '  ', '\n', '\t', '\r\n', '\u00a0', '\u2003', '\u2028', '\ufeff', ' \n ', '\u000b', '\f') },
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }).map((p) => p.join('')), (text) => {
        expect(oneLine(text)).toBe(text.replace(/\s+/g, ' ').trim());
      }),
      { numRuns: 1000 },
    );
  });
});
