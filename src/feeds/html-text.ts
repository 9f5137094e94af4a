// The one-line text of simple HTML without building a DOM: the fragments feeds carry in
// descriptions and content (paragraphs, links, emphasis, lists, headings, line breaks, entities)
// read in one pass, giving exactly what parsing with cheerio and toOneLineText gives
// (src/extract/text.ts). Rules:
// - Only known elements whose parsing is ordinary in a body: block elements (a space before and
//   after, as toOneLineText puts one), inline ones (nothing), and the voids br and hr (a space),
//   img and wbr (nothing). Tables, forms, pre, raw-text and skipped elements are not among them.
// - Every end tag must close the element opened last, and no start tag may close an open
//   element by the parser's rules (a block or hr inside a <p>, an <li> in an <li> of the same
//   list, a <dd> or <dt> in another, a heading right in a heading): then the tree the parser
//   builds has a block's edges where its tags stand, and white space is folded, so the text is
//   the same. (Such closings leave the later end tag without its element, and the parser drops
//   it: "<li><li></li>a</li>b" reads "ab", not "a b".)
// - Anything else (a comment, an unknown or misnested tag, a "<" that starts no tag, an unquoted
//   attribute value with "/", NUL) returns undefined: the caller parses the HTML.
// test/feeds/html-text.test.ts checks this against cheerio on generated fragments.

import { decodeHTML } from 'entities';

const BLOCKS = new Set([
  'address', 'article', 'aside', 'blockquote', 'div', 'dl', 'dt', 'dd', 'figure', 'figcaption', 'footer',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'li', 'main', 'nav', 'ol', 'p', 'section', 'ul',
]);
const INLINE = new Set([
  'a', 'abbr', 'b', 'big', 'cite', 'code', 'del', 'dfn', 'em', 'font', 'i', 'ins', 'kbd', 'mark', 'q', 's',
  'samp', 'small', 'span', 'strike', 'strong', 'sub', 'sup', 'time', 'tt', 'u', 'var',
]);
/** Void elements: no end tag, and no content; br and hr stand between words. */
const VOIDS = new Map([['br', ' '], ['hr', ' '], ['img', ''], ['wbr', '']]);

// A start or end tag as the HTML tokenizer reads it, attributes quoted or plainly unquoted.
const TAG = /<(\/?)([a-zA-Z][a-zA-Z0-9]*)((?:[\t\n\f\r ]+[^\t\n\f\r "'>/=<]+(?:[\t\n\f\r ]*=[\t\n\f\r ]*(?:"[^"]*"|'[^']*'|[^\t\n\f\r "'=<>`/]+))?)*)[\t\n\f\r ]*(\/?)>/y;

const SLASH = 0x2f;
/** What may follow a tag's name when it has no attributes. */
const BARE_END = /^[\t\n\f\r ]*\/?>$/;
/** ASCII letters and digits, as TAG reads a name. */
const isNameCode = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

/** The text of `html` on one line, white space folded; undefined when it is not simple HTML. */
export function simpleHtmlText(html: string): string | undefined {
  if (html.includes('\0')) return undefined;
  const parts: string[] = [];
  const open: string[] = [];
  // A space between blocks is written only before the text that follows it: a run of them is
  // one space, and none leads or trails, so that oneLine mostly has nothing left to replace or
  // trim and returns the joined text itself rather than two more copies of it.
  let space = false;
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    const textEnd = lt === -1 ? html.length : lt;
    if (textEnd > i) {
      const text = html.slice(i, textEnd);
      if (space && parts.length > 0) parts.push(' ');
      space = false;
      parts.push(text.includes('&') ? decodeHTML(text) : text);
    }
    if (lt === -1) break;
    TAG.lastIndex = lt;
    if (!TAG.test(html)) return undefined;
    // The tag's parts read off where they stand (no match array per tag): "/" after "<", the
    // name's letters and digits, attributes when more than white space and "/" precede ">", and
    // "/" right before ">" (an unquoted attribute value never ends in one).
    const end = TAG.lastIndex;
    const slash = html.charCodeAt(lt + 1) === SLASH;
    const nameStart = slash ? lt + 2 : lt + 1;
    let nameEnd = nameStart + 1;
    while (nameEnd < end && isNameCode(html.charCodeAt(nameEnd))) nameEnd++;
    const selfClosing = html.charCodeAt(end - 2) === SLASH && end - 2 >= nameEnd;
    const attributes = !BARE_END.test(html.slice(nameEnd, end));
    const name = html.slice(nameStart, nameEnd).toLowerCase();
    const gap = BLOCKS.has(name) ? ' ' : INLINE.has(name) ? '' : VOIDS.get(name);
    if (gap === undefined) return undefined;
    if (slash) {
      if (attributes || selfClosing || open.pop() !== name) return undefined;
    } else {
      if (closesOpen(name, open)) return undefined;
      if (!VOIDS.has(name)) {
        if (selfClosing) return undefined;
        open.push(name);
      }
    }
    if (gap === ' ') space = true;
    i = end;
  }
  return oneLine(parts.join(''));
}

/**
 * White space folded to one space, trimmed: `text.replace(/\s+/g, ' ').trim()`, replacing only
 * the runs that change (two or more characters, or one that is not a space). News text has a
 * single space between most words, so this is one scan instead of a replacement per word, about
 * three times faster on feed content.
 */
export const oneLine = (text: string): string => text.replace(/\s{2,}|[^\S ]/g, ' ').trim();

const HEADINGS = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6']);

/** Whether the HTML parser would close an open element on this start tag (open: innermost last). */
function closesOpen(name: string, open: string[]): boolean {
  if ((BLOCKS.has(name) || name === 'hr') && open.includes('p')) return true;
  if (HEADINGS.has(name) && HEADINGS.has(open.at(-1) ?? '')) return true;
  if (name === 'li' || name === 'dd' || name === 'dt') {
    const closes = name === 'li' ? ['li'] : ['dd', 'dt'];
    // The parser looks down the open elements until a block other than address, div and p.
    for (let k = open.length - 1; k >= 0; k--) {
      const el = open[k]!;
      if (closes.includes(el)) return true;
      if (BLOCKS.has(el) && el !== 'address' && el !== 'div' && el !== 'p') return false;
    }
  }
  return false;
}
