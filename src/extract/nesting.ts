// Caps element nesting in HTML text before it is parsed. parse5 spends time proportional to the
// depth of open elements on most tags, so a page of 100,000 nested <div>s takes minutes to parse;
// this pass takes one linear walk over the text. Rules:
// - It tracks an approximation of the parser's stack of open elements: void elements, comments,
//   the contents of <script>, <style>, <textarea>, <title> and the other raw-text elements, and
//   quoted attribute values (which may hold "<" and ">") are skipped; the end tags and implied
//   ends that real pages lean on (`<li>`, `<p>`, `<td>`, `<tr>`, `<option>` left unclosed) pop it.
// - Every start tag that would open an element deeper than `maxDepth`, and its end tag, is
//   dropped from the text; the text inside is kept. So deep content is flattened, not lost, as
//   browsers do (Blink stops nesting at 512).
// - Every lookup walks a bounded number of stack entries, so the pass stays linear on any input.
//   Being an approximation, it can be fooled by markup built to beat it; the worker-thread time
//   budget (src/sandbox) is what bounds such a page, and the tree is flattened again after parsing.

/** Elements that never have content (no end tag), from the HTML standard. */
const VOID = new Set([
  'area', 'base', 'basefont', 'bgsound', 'br', 'col', 'embed', 'frame', 'hr', 'image', 'img', 'input', 'keygen', 'link',
  'meta', 'param', 'source', 'track', 'wbr',
]);

/** Elements whose content is text up to their end tag (with scripting on, as parse5 parses). */
const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title', 'xmp', 'iframe', 'noembed', 'noframes', 'noscript']);

/** Start tags that close an open <p> (the "close a p element" step of the HTML parser). */
const CLOSES_P = new Set([
  'address', 'article', 'aside', 'blockquote', 'center', 'details', 'dialog', 'dir', 'div', 'dl', 'fieldset', 'figcaption',
  'figure', 'footer', 'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hgroup', 'hr', 'li', 'listing', 'main', 'menu',
  'nav', 'ol', 'p', 'pre', 'search', 'section', 'summary', 'table', 'ul', 'dd', 'dt',
]);

/** The HTML standard's "special" elements: an unclosed `<li>`, `<dd>` or `<dt>` is not looked for past them. */
const SPECIAL = new Set([
  'address', 'applet', 'area', 'article', 'aside', 'base', 'basefont', 'bgsound', 'blockquote', 'body', 'br', 'button',
  'caption', 'center', 'col', 'colgroup', 'dd', 'details', 'dir', 'div', 'dl', 'dt', 'embed', 'fieldset', 'figcaption',
  'figure', 'footer', 'form', 'frame', 'frameset', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'head', 'header', 'hgroup', 'hr',
  'html', 'iframe', 'img', 'input', 'keygen', 'li', 'link', 'listing', 'main', 'marquee', 'menu', 'meta', 'nav', 'noembed',
  'noframes', 'noscript', 'object', 'ol', 'p', 'param', 'plaintext', 'pre', 'script', 'search', 'section', 'select',
  'source', 'style', 'summary', 'table', 'tbody', 'td', 'template', 'textarea', 'tfoot', 'th', 'thead', 'title', 'tr',
  'track', 'ul', 'wbr', 'xmp',
]);
const LIST_ITEM_STOP = new Set([...SPECIAL].filter((name) => !['address', 'div', 'p'].includes(name)));

/**
 * Start tags that end an open element of a kind they cannot sit in: the start tag's name → the
 * open elements it closes, searched from the top of the stack down to (not past) the elements of
 * `stop`.
 */
const CLOSES: Record<string, { closes: ReadonlySet<string>; stop: ReadonlySet<string> }> = {};
CLOSES.li = { closes: new Set(['li']), stop: LIST_ITEM_STOP };
for (const name of ['dd', 'dt']) CLOSES[name] = { closes: new Set(['dd', 'dt']), stop: LIST_ITEM_STOP };
CLOSES.option = { closes: new Set(['option']), stop: new Set(['select', 'optgroup', 'datalist']) };
for (const name of ['a', 'nobr', 'button']) CLOSES[name] = { closes: new Set([name]), stop: new Set(['table', 'td', 'th', 'body']) };

/**
 * Start tags that first clear the stack back to their context (the parser's "clear the stack back
 * to a table row context" and its kin): everything above the nearest open element of the set is
 * closed.
 */
const CONTEXT: Record<string, ReadonlySet<string>> = {};
for (const name of ['td', 'th']) CONTEXT[name] = new Set(['tr', 'table']);
CONTEXT.tr = new Set(['tbody', 'thead', 'tfoot', 'table']);
for (const name of ['tbody', 'thead', 'tfoot', 'caption', 'colgroup']) CONTEXT[name] = new Set(['table']);
CONTEXT.optgroup = new Set(['select']);

const NOTHING: ReadonlySet<string> = new Set();
const HEADINGS = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6']);

/** Elements an end tag does not close past: the parser ignores `</div>` when a table is in between. */
const SCOPE = new Set(['table', 'td', 'th', 'caption', 'template', 'html', 'marquee', 'object', 'applet']);

/** Start tags the parser does not push again when one is open (it merges or ignores them). */
const ONCE = new Set(['html', 'head', 'body', 'form']);

/** How far down the stack an implied end or an end tag looks for its element. */
const LOOKBACK = 64;

export interface NestingLimited {
  /** The text with the tags of too deeply nested elements removed; the input itself when none were. */
  html: string;
  /** Start and end tags removed. */
  removedTags: number;
}

interface Tag {
  /** Lower-cased tag name. */
  name: string;
  end: boolean;
  selfClosing: boolean;
  /** Index just past the tag's ">" (or the end of the text, for a tag cut off there). */
  next: number;
}

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d;
const isAsciiAlpha = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

/** Reads the tag starting at `start` ("<" followed by a letter, or "</" and a letter), as the HTML tokenizer does. */
function readTag(html: string, start: number): Tag {
  const end = html.charCodeAt(start + 1) === 0x2f;
  let i = start + (end ? 2 : 1);
  const nameStart = i;
  while (i < html.length) {
    const c = html.charCodeAt(i);
    if (isSpace(c) || c === 0x2f || c === 0x3e) break;
    i++;
  }
  const name = html.slice(nameStart, i).toLowerCase();
  let selfClosing = false;
  while (i < html.length) {
    const c = html.charCodeAt(i);
    if (c === 0x3e) return { name, end, selfClosing, next: i + 1 };
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === 0x2f) {
      selfClosing = html.charCodeAt(i + 1) === 0x3e;
      i++;
      continue;
    }
    selfClosing = false;
    // An attribute name (which may begin with "="), then an optional value.
    i++;
    while (i < html.length) {
      const d = html.charCodeAt(i);
      if (isSpace(d) || d === 0x2f || d === 0x3e || d === 0x3d) break;
      i++;
    }
    while (i < html.length && isSpace(html.charCodeAt(i))) i++;
    if (html.charCodeAt(i) !== 0x3d) continue;
    i++;
    while (i < html.length && isSpace(html.charCodeAt(i))) i++;
    const q = html.charCodeAt(i);
    if (q === 0x22 || q === 0x27) {
      const close = html.indexOf(q === 0x22 ? '"' : "'", i + 1);
      i = close === -1 ? html.length : close + 1;
    } else {
      while (i < html.length) {
        const d = html.charCodeAt(i);
        if (isSpace(d) || d === 0x3e) break;
        i++;
      }
    }
  }
  return { name, end, selfClosing, next: html.length };
}

/** Index just past the markup that starts at `start` with "<!" or "<?" (comment, doctype, CDATA…). */
function skipDeclaration(html: string, start: number): number {
  if (html.startsWith('<!--', start)) {
    // "<!-->" and "<!--->" are (empty) comments too.
    if (html.startsWith('>', start + 4)) return start + 5;
    if (html.startsWith('->', start + 4)) return start + 6;
    const close = html.indexOf('-->', start + 4);
    return close === -1 ? html.length : close + 3;
  }
  const close = html.indexOf('>', start + 2);
  return close === -1 ? html.length : close + 1;
}

/** Index of the end tag that closes a raw-text element opened before `from` (or the end of the text). */
function rawTextEnd(html: string, name: string, from: number): number {
  const pattern = new RegExp(`</${name}[\\s/>]`, 'ig');
  pattern.lastIndex = from;
  const match = pattern.exec(html);
  return match ? match.index : html.length;
}

/**
 * `html` with the start and end tags of elements nested deeper than `maxDepth` removed (their
 * text kept). Linear in the length of the text.
 */
export function limitNesting(html: string, maxDepth: number): NestingLimited {
  const names: string[] = [];
  const kept: boolean[] = [];
  const open = new Map<string, number>();
  const pieces: string[] = [];
  let copiedTo = 0;
  let removedTags = 0;

  const push = (name: string, keep: boolean) => {
    names.push(name);
    kept.push(keep);
    open.set(name, (open.get(name) ?? 0) + 1);
  };
  const popTo = (index: number) => {
    while (names.length > index) {
      const name = names.pop() as string;
      kept.pop();
      open.set(name, (open.get(name) as number) - 1);
    }
  };
  /** Stack index of the nearest open element named in `wanted`, looking down at most LOOKBACK entries and not past `stop`. */
  const find = (wanted: ReadonlySet<string> | string, stop: ReadonlySet<string>): number => {
    const floor = Math.max(0, names.length - LOOKBACK);
    for (let i = names.length - 1; i >= floor; i--) {
      const name = names[i] as string;
      if (typeof wanted === 'string' ? name === wanted : wanted.has(name)) return i;
      if (stop.has(name)) return -1;
    }
    return -1;
  };
  const drop = (from: number, to: number) => {
    pieces.push(html.slice(copiedTo, from));
    copiedTo = to;
    removedTags++;
  };

  let i = html.indexOf('<');
  while (i !== -1 && i < html.length) {
    const c = html.charCodeAt(i + 1);
    if (c === 0x21 || c === 0x3f) {
      i = html.indexOf('<', skipDeclaration(html, i));
      continue;
    }
    const isEnd = c === 0x2f;
    if (!isAsciiAlpha(isEnd ? html.charCodeAt(i + 2) : c)) {
      i = html.indexOf('<', i + 1);
      continue;
    }
    const tag = readTag(html, i);
    let next = tag.next;
    if (tag.end) {
      if ((open.get(tag.name) ?? 0) > 0) {
        const at = find(tag.name, SCOPE);
        if (at !== -1) {
          if (!kept[at]) drop(i, tag.next);
          popTo(at);
        }
      }
    } else if (!VOID.has(tag.name) && !((open.get(tag.name) ?? 0) > 0 && ONCE.has(tag.name))) {
      const closes = CLOSES[tag.name];
      if (closes) {
        const at = find(closes.closes, closes.stop);
        if (at !== -1) popTo(at);
      }
      const context = CONTEXT[tag.name];
      if (context) {
        const at = find(context, NOTHING);
        if (at !== -1) popTo(at + 1);
      }
      if (CLOSES_P.has(tag.name) && (open.get('p') ?? 0) > 0) {
        const at = find('p', SCOPE);
        if (at !== -1) popTo(at);
      }
      // A heading right inside another heading ends it (only the innermost element is checked).
      if (HEADINGS.has(tag.name) && HEADINGS.has(names[names.length - 1] ?? '')) popTo(names.length - 1);
      // `<x/>` closes itself only inside SVG and MathML; in HTML the slash is ignored.
      const foreign = (open.get('svg') ?? 0) > 0 || (open.get('math') ?? 0) > 0;
      if (!(tag.selfClosing && foreign)) {
        // Raw-text elements hold no elements, so they are always kept: dropping the start tag of
        // a <script> would turn its code into markup.
        const keep = names.length < maxDepth || RAW_TEXT.has(tag.name) || tag.name === 'plaintext';
        if (!keep) drop(i, tag.next);
        push(tag.name, keep);
        if (tag.name === 'plaintext') break;
        if (RAW_TEXT.has(tag.name)) {
          next = rawTextEnd(html, tag.name, tag.next);
        }
      }
    }
    i = html.indexOf('<', next);
  }
  if (removedTags === 0) return { html, removedTags };
  pieces.push(html.slice(copiedTo));
  return { html: pieces.join(''), removedTags };
}
