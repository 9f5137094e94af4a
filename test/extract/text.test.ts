import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'cheerio';
import fc from 'fast-check';
import type { AnyNode } from 'domhandler';
import { describe, expect, it } from 'vitest';
import { toOneLineText, toPlainText } from '../../src/extract/text.js';

const folded = (text: string) => text.replace(/\s+/g, ' ').trim();
const root = (html: string) => load(html, null, false).root()[0] as AnyNode;

// Fragments built from the elements toPlainText treats apart (blocks, lines, cells, breaks, pre,
// skipped ones) and text with every kind of white space between words.
const text = fc.array(fc.constantFrom('Kyiv', 'talks', ' ', '  ', '\t', '\n', '\u00a0', '\r\n', '&amp;', 'x'), { maxLength: 6 }).map((parts) => parts.join(''));
const fragment: fc.Arbitrary<string> = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, text, tie('element')),
  element: fc
    .tuple(fc.constantFrom('p', 'div', 'li', 'tr', 'td', 'th', 'pre', 'b', 'span', 'script', 'table', 'h2'), fc.array(tie('node'), { maxLength: 4 }))
    .map(([tag, children]) => `<${tag}>${children.join('')}</${tag}>`),
  br: fc.constant('<br>'),
})).node.chain((first) => fc.array(fc.oneof(text, fc.constant('<br>'), fc.constant(first)), { maxLength: 4 }).map((rest) => first + rest.join('')));

describe('toOneLineText', () => {
  it('is the text of toPlainText with every run of white space one space', () => {
    fc.assert(
      fc.property(fragment, (html) => {
        expect(toOneLineText(root(html))).toBe(folded(toPlainText(root(html))));
      }),
      { numRuns: 500 },
    );
  });

  it('reads whole pages as toPlainText does, on one line', () => {
    for (const name of ['news-article.html', 'no-article.html']) {
      const page = load(readFileSync(join(import.meta.dirname, '../fixtures/extract', name), 'utf8')).root()[0] as AnyNode;
      const plain = toPlainText(page);
      expect(plain.length).toBeGreaterThan(50);
      expect(toOneLineText(page)).toBe(folded(plain));
    }
  });

  it('keeps words of neighbouring blocks, cells and lines apart', () => {
    expect(toOneLineText(root('<p>one</p><p>two</p><table><tr><td>a</td><td>b</td></tr></table>c<br>d<pre>e\n\n f</pre>'))).toBe('one two a b c d e f');
  });
});
