// A fast reader for the XML almost every feed is written in, giving the handler the same calls
// sax's strict mode would (open tag with its attributes, close tag, text and CDATA as text), or
// answering `false` to say "let sax read this one". Rules:
// - The subset: elements with quoted attributes, text and attribute values with sax's entities
//   (its XML and HTML names, exactly or in lower case, and character references to XML
//   characters), CDATA sections, comments, processing instructions and a DOCTYPE without an
//   internal subset, white space only outside the root element, a BOM first. Names in ASCII.
// - Anything else, including everything sax would reject, is left to sax: the caller throws away
//   what the handler received and starts over with sax, so an error reads as sax's, line and
//   column included. Well-formed feeds outside the subset only cost the second pass.
// - Text is handed on where sax hands it on: before every element, close tag, CDATA section,
//   processing instruction and non-empty comment; one text event however many pieces it spans
//   (canonicalFeedXml holds sax's buffer checks back to the end for the same result). The white
//   space outside the root element, which sax hands on too, is not: nothing reads it.
// sax reads a character at a time through a state machine (about two thirds of canonicalFeedXml's
// time before this); this reader finds each construct's end with indexOf.

import sax from 'sax';

export interface SimpleXmlHandler {
  openTag(tag: sax.Tag): void;
  closeTag(): void;
  text(value: string): void;
}

/** sax's own table (XML's five and HTML's names; its types leave the module's copy out). */
const ENTITIES = (sax as unknown as { ENTITIES: Record<string, string> }).ENTITIES;
const GT = 62;
const SLASH = 47;
const BANG = 33;
const QUESTION = 63;
const EQUALS = 61;
const QUOTE = 34;
const APOSTROPHE = 39;
const BOM = 0xfeff;

/** Reads the pieces (one text, in order) into the handler; false if sax must read them instead. */
export function readSimpleXml(pieces: readonly string[], handler: SimpleXmlHandler): boolean {
  const reader = new SimpleReader(handler);
  let carry = '';
  for (let p = 0; p < pieces.length; p++) {
    const s = carry ? carry + pieces[p]! : pieces[p]!;
    const end = reader.read(s, p === pieces.length - 1);
    if (end < 0) return false;
    carry = end < s.length ? s.slice(end) : '';
  }
  return carry === '' && reader.complete();
}

class SimpleReader {
  private readonly open: string[] = [];
  private pending = '';
  private begun = false;
  private sawRoot = false;
  private closedRoot = false;
  private sawDoctype = false;

  constructor(private readonly handler: SimpleXmlHandler) {}

  complete(): boolean {
    return this.sawRoot && this.closedRoot;
  }

  /**
   * Reads `s` as far as it holds whole constructs; returns where the unread rest begins (to be
   * read again with the next piece in front), or BAIL when sax must read the document.
   */
  read(s: string, last: boolean): number {
    let i = 0;
    const n = s.length;
    if (!this.begun && n > 0) {
      this.begun = true;
      if (s.charCodeAt(0) === BOM) i = 1;
    }
    while (i < n) {
      const lt = s.indexOf('<', i);
      const textEnd = lt < 0 ? n : lt;
      if (textEnd > i) {
        const inside = this.sawRoot && !this.closedRoot;
        if (!inside) {
          if (!isWhiteSpan(s, i, textEnd)) return BAIL;
        } else {
          // An entity cut by the end of a piece is read with the next one.
          let cut = textEnd;
          if (lt < 0 && !last) {
            const amp = s.lastIndexOf('&', n - 1);
            if (amp >= i && s.indexOf(';', amp) < 0) cut = amp;
          }
          const text = decode(s, i, cut);
          if (text === undefined) return BAIL;
          this.pending += text;
          if (cut < textEnd) return cut;
        }
      }
      if (lt < 0) return n;
      const next = this.markup(s, lt, last);
      if (next < 0) return next === NEED_MORE && !last ? lt : BAIL;
      i = next;
    }
    return n;
  }

  /** Reads the construct at `lt`; returns the index after it, NEED_MORE or BAIL. */
  private markup(s: string, lt: number, last: boolean): number {
    const c = s.charCodeAt(lt + 1);
    if (Number.isNaN(c)) return NEED_MORE;
    if (c === SLASH) return this.closeTag(s, lt);
    if (c === BANG) return this.declaration(s, lt, last);
    if (c === QUESTION) {
      const end = s.indexOf('?>', lt + 2);
      if (end < 0) return NEED_MORE;
      this.flush();
      return end + 2;
    }
    if (isNameStart(c)) return this.openTag(s, lt);
    return BAIL;
  }

  private declaration(s: string, lt: number, last: boolean): number {
    if (s.length < lt + 9 && !last) return NEED_MORE;
    if (s.startsWith('<!--', lt)) {
      const end = s.indexOf('--', lt + 4);
      if (end < 0 || end + 2 >= s.length) return NEED_MORE;
      // sax refuses "--" inside a comment.
      if (s.charCodeAt(end + 2) !== GT) return BAIL;
      // sax hands text on before a comment only when the comment has content.
      if (end > lt + 4) this.flush();
      return end + 3;
    }
    if (s.startsWith('<![CDATA[', lt)) {
      if (!this.sawRoot || this.closedRoot) return BAIL;
      const end = s.indexOf(']]>', lt + 9);
      if (end < 0) return NEED_MORE;
      this.flush();
      if (end > lt + 9) this.handler.text(s.slice(lt + 9, end));
      return end + 3;
    }
    if (s.startsWith('<!DOCTYPE', lt)) {
      if (this.sawRoot || this.sawDoctype) return BAIL;
      // Quoted public and system ids may hold ">"; an internal subset is left to sax.
      for (let i = lt + 9; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c === GT) {
          this.sawDoctype = true;
          return i + 1;
        }
        if (c === 91 /* [ */) return BAIL;
        if (c === QUOTE || c === APOSTROPHE) {
          const close = s.indexOf(s[i]!, i + 1);
          if (close < 0) return NEED_MORE;
          i = close;
        }
      }
      return NEED_MORE;
    }
    return BAIL;
  }

  private openTag(s: string, lt: number): number {
    if (this.closedRoot) return BAIL;
    const n = s.length;
    let i = lt + 2;
    while (i < n && isNameChar(s.charCodeAt(i))) i++;
    if (i >= n) return NEED_MORE;
    const name = s.slice(lt + 1, i);
    const attributes: Record<string, string> = {};
    for (;;) {
      let c = s.charCodeAt(i);
      const spaced = isWhite(c);
      while (isWhite(c)) c = s.charCodeAt(++i);
      if (Number.isNaN(c)) return NEED_MORE;
      if (c === GT) return this.element(name, attributes, false, i + 1);
      if (c === SLASH) {
        const after = s.charCodeAt(i + 1);
        if (Number.isNaN(after)) return NEED_MORE;
        return after === GT ? this.element(name, attributes, true, i + 2) : BAIL;
      }
      // An attribute, after white space (sax refuses one straight after a quote).
      if (!spaced || !isNameStart(c)) return BAIL;
      const start = i;
      while (i < n && isNameChar(s.charCodeAt(i))) i++;
      const key = s.slice(start, i);
      c = s.charCodeAt(i);
      while (isWhite(c)) c = s.charCodeAt(++i);
      if (Number.isNaN(c)) return NEED_MORE;
      if (c !== EQUALS) return BAIL;
      c = s.charCodeAt(++i);
      while (isWhite(c)) c = s.charCodeAt(++i);
      if (Number.isNaN(c)) return NEED_MORE;
      if (c !== QUOTE && c !== APOSTROPHE) return BAIL;
      const close = s.indexOf(c === QUOTE ? '"' : "'", i + 1);
      if (close < 0) return NEED_MORE;
      const value = decode(s, i + 1, close);
      if (value === undefined || key === '__proto__' || key === 'hasOwnProperty') return BAIL;
      // sax keeps the first of a repeated attribute.
      if (!Object.hasOwn(attributes, key)) attributes[key] = value;
      i = close + 1;
    }
  }

  private element(name: string, attributes: Record<string, string>, selfClosing: boolean, next: number): number {
    this.flush();
    this.sawRoot = true;
    this.handler.openTag({ name, attributes, isSelfClosing: selfClosing });
    if (selfClosing) {
      this.handler.closeTag();
      if (this.open.length === 0) this.closedRoot = true;
    } else {
      this.open.push(name);
    }
    return next;
  }

  private closeTag(s: string, lt: number): number {
    const gt = s.indexOf('>', lt + 2);
    if (gt < 0) return NEED_MORE;
    let i = lt + 2;
    while (isWhite(s.charCodeAt(i))) i++;
    const start = i;
    if (!isNameStart(s.charCodeAt(i))) return BAIL;
    while (i < gt && isNameChar(s.charCodeAt(i))) i++;
    const name = s.slice(start, i);
    while (i < gt && isWhite(s.charCodeAt(i))) i++;
    if (i !== gt || this.open[this.open.length - 1] !== name) return BAIL;
    this.flush();
    this.open.pop();
    this.handler.closeTag();
    if (this.open.length === 0) this.closedRoot = true;
    return gt + 1;
  }

  private flush(): void {
    if (this.pending) {
      this.handler.text(this.pending);
      this.pending = '';
    }
  }
}

const NEED_MORE = -2;
const BAIL = -1;
/** Longer than any entity sax reads ("&thetasym;", "&#x10FFFF;"): past it, sax is left to object. */
const MAX_ENTITY_CHARS = 33;

/** s[from, to) with its entities replaced as sax replaces them; undefined where sax would object. */
function decode(s: string, from: number, to: number): string | undefined {
  let amp = s.indexOf('&', from);
  if (amp < 0 || amp >= to) return s.slice(from, to);
  let out = '';
  let at = from;
  while (amp >= 0 && amp < to) {
    const semi = s.indexOf(';', amp + 1);
    if (semi < 0 || semi >= to || semi - amp > MAX_ENTITY_CHARS) return undefined;
    const value = entity(s.slice(amp + 1, semi));
    if (value === undefined) return undefined;
    out += s.slice(at, amp) + value;
    at = semi + 1;
    amp = s.indexOf('&', at);
  }
  return out + s.slice(at, to);
}

/** What sax puts for `&name;` with its default entities, or undefined where it would object. */
function entity(name: string): string | undefined {
  if (Object.hasOwn(ENTITIES, name)) return ENTITIES[name];
  const lower = name.toLowerCase();
  if (Object.hasOwn(ENTITIES, lower)) return ENTITIES[lower];
  if (lower.charCodeAt(0) !== 35 /* # */) return undefined;
  const hex = lower.charCodeAt(1) === 120; /* x */
  const digits = lower.slice(hex ? 2 : 1);
  if (digits.length === 0 || digits.length > 8 || !(hex ? HEX_DIGITS : DEC_DIGITS).test(digits)) return undefined;
  const code = Number.parseInt(digits, hex ? 16 : 10);
  return isXmlChar(code) ? String.fromCodePoint(code) : undefined;
}

const HEX_DIGITS = /^[0-9a-f]+$/;
const DEC_DIGITS = /^[0-9]+$/;

const isXmlChar = (code: number) =>
  code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);

/** sax's white space: space, tab, line feed, carriage return. */
const isWhite = (c: number) => c === 32 || c === 10 || c === 13 || c === 9;

const isWhiteSpan = (s: string, from: number, to: number) => {
  for (let i = from; i < to; i++) if (!isWhite(s.charCodeAt(i))) return false;
  return true;
};

/** ASCII name characters only; a name with any other is left to sax. */
const isNameStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58;
const isNameChar = (c: number) => isNameStart(c) || (c >= 48 && c <= 57) || c === 45 || c === 46;
