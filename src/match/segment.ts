// Word segmentation with the boundaries of Unicode UAX #29 as `Intl.Segmenter` (ICU) draws them.
// Text made of common Latin characters takes a hand-written fast path; any whitespace-delimited
// chunk holding another character is handed to `Intl.Segmenter`. test/match/segment.test.ts
// proves both paths yield the same words.

/** Character classes of the fast path (UAX #29 Word_Break values, reduced to what Latin needs). */
const enum C {
  Slow = 0, // not covered by the fast path: segment the chunk with Intl.Segmenter
  Letter = 1, // ALetter
  Digit = 2, // Numeric
  MidLetter = 3, // joins letters only (":" and "·")
  MidNumLet = 4, // joins letters or digits ("." and apostrophes)
  MidNum = 5, // joins digits only ("," and ";")
  Extend = 6, // combining marks and the soft hyphen: part of the preceding character
  Space = 7, // whitespace: always a boundary, and where slow chunks start and end
  Other = 8, // punctuation and symbols: never part of a word
}

const TABLE_SIZE = 0x2030;
const table = new Uint8Array(TABLE_SIZE);

function setRange(from: number, to: number, cls: C): void {
  for (let c = from; c <= to; c++) table[c] = cls;
}

setRange(0x21, 0x7e, C.Other);
setRange(0x41, 0x5a, C.Letter);
setRange(0x61, 0x7a, C.Letter);
setRange(0x30, 0x39, C.Digit);
table[0x5f] = C.Slow; // "_" (ExtendNumLet): ICU words of underscores alone behave irregularly
table[0x3a] = C.MidLetter;
table[0x2e] = C.MidNumLet;
table[0x27] = C.MidNumLet;
table[0x2c] = C.MidNum;
table[0x3b] = C.MidNum;
for (const ws of [0x20, 0x09, 0x0a, 0x0d]) table[ws] = C.Space;
table[0xa0] = C.Other; // no-break space: "Other", so a following mark attaches to it
setRange(0xa1, 0xbf, C.Other);
table[0xaa] = C.Letter;
table[0xb5] = C.Letter;
table[0xba] = C.Letter;
table[0xb7] = C.MidLetter;
table[0xb8] = C.Slow; // the cedilla joins letters in ICU although Unicode says Other
table[0xad] = C.Extend; // soft hyphen (Format)
setRange(0xc0, 0x24f, C.Letter);
table[0xd7] = C.Other;
table[0xf7] = C.Other;
setRange(0x300, 0x36f, C.Extend);
for (const o of [0x2010, 0x2011, 0x2013, 0x2014, 0x201c, 0x201d, 0x2022, 0x2026]) table[o] = C.Other;
table[0x2018] = C.MidNumLet;
table[0x2019] = C.MidNumLet;

/**
 * The characters of class Slow, found by one native regex search: faster than classifying
 * every character in JavaScript before the fast path does it again.
 */
const SLOW = slowCharacters();

function slowCharacters(): RegExp {
  const hex = (c: number) => `\\u${c.toString(16).padStart(4, '0')}`;
  let known = '';
  for (let c = 0; c < TABLE_SIZE; c++) {
    if (table[c] === C.Slow) continue;
    const from = c;
    while (c + 1 < TABLE_SIZE && table[c + 1] !== C.Slow) c++;
    known += `${hex(from)}-${hex(c)}`;
  }
  return new RegExp(`[^${known}]`, 'g');
}

/** Receives each word as [start, end) char offsets into the segmented text. */
export type WordSink = (start: number, end: number) => void;

/**
 * Where segmentInto writes a text's segments: `spans` holds [start, end) char offsets, two ints
 * per segment, a word's as they are and a loose segment's (see segmentWords) as [-start - 1,
 * end). Reused from text to text: a sink per word, as segmentWords calls, kept the tokenizer's
 * state in a closure's context (memory) where a loop over these keeps it in registers.
 */
export interface Segments {
  spans: Int32Array;
}

let segmenter: Intl.Segmenter | undefined;

/** Letters and digits a case-insensitive regex reads as ASCII (with "ſ" and the Kelvin sign). */
const REGEX_ASCII = /[A-Za-z0-9\u017f\u212a]/;

/** Room in `out` for `more` ints after the first `n`. */
function reserve(out: Segments, n: number, more: number): Int32Array {
  if (n + more > out.spans.length) {
    const grown = new Int32Array(Math.max(n + more, out.spans.length * 2));
    grown.set(out.spans.subarray(0, n));
    out.spans = grown;
  }
  return out.spans;
}

function intlSegment(text: string, from: number, to: number, out: Segments, n: number, loose: boolean): number {
  segmenter ??= new Intl.Segmenter('en', { granularity: 'word' });
  for (const s of segmenter.segment(text.slice(from, to))) {
    const start = from + s.index;
    const word = s.isWordLike;
    if (!word && !(loose && REGEX_ASCII.test(s.segment))) continue;
    const spans = reserve(out, n, 2);
    spans[n] = word ? start : -start - 1;
    spans[n + 1] = start + s.segment.length;
    n += 2;
  }
  return n;
}

function classOf(code: number): C {
  return code < TABLE_SIZE ? (table[code] as C) : C.Slow;
}

function skipExtend(text: string, i: number, to: number): number {
  while (i < to && classOf(text.charCodeAt(i)) === C.Extend) i++;
  return i;
}

/** Fast path over a range known to hold only fast-path characters, written from spans[n]; returns the new count. */
function fastSegment(text: string, from: number, to: number, out: Segments, n: number): number {
  // A word is at least one character and the next one starts after a character that is not in it.
  const spans = reserve(out, n, to - from + 1);
  let i = from;
  while (i < to) {
    const cls = classOf(text.charCodeAt(i));
    if (cls !== C.Letter && cls !== C.Digit) {
      i++;
      continue;
    }
    const start = i;
    let last = cls;
    i++;
    while (i < to) {
      const c2 = classOf(text.charCodeAt(i));
      if (c2 === C.Letter || c2 === C.Digit) {
        last = c2;
        i++;
        continue;
      }
      // A mark after a letter, a digit or a joined middle character belongs to it.
      if (c2 === C.Extend) {
        i++;
        continue;
      }
      if (c2 === C.MidLetter || c2 === C.MidNumLet || c2 === C.MidNum) {
        const j = skipExtend(text, i + 1, to);
        if (j < to) {
          const c3 = classOf(text.charCodeAt(j));
          if (c3 === last && (c2 === C.MidNumLet || (c2 === C.MidLetter) === (last === C.Letter))) {
            i = skipExtend(text, j + 1, to);
            continue;
          }
        }
      }
      break;
    }
    spans[n] = start;
    spans[n + 1] = i;
    n += 2;
  }
  return n;
}

/**
 * Writes into `out` every word-like segment of `text`, in order, exactly as
 * `Intl.Segmenter(..., { granularity: 'word' })` with `isWordLike` finds them, and, when `loose`,
 * the segments that are not word-like yet hold ASCII letters or digits (ICU makes
 * "abc\u200d😀" or "abc_\u00ad" one segment that is not a word), so regex literals can be found
 * there too. Returns how many ints of `out.spans` it wrote (two per segment).
 */
export function segmentInto(text: string, out: Segments, loose = false): number {
  const length = text.length;
  let n = 0;
  let fastFrom = 0; // text before this has been segmented
  SLOW.lastIndex = 0;
  while (SLOW.test(text)) {
    // A character the fast path does not know: segment its whole chunk with ICU.
    const i = SLOW.lastIndex - 1;
    let chunkStart = i;
    while (chunkStart > fastFrom && classOf(text.charCodeAt(chunkStart - 1)) !== C.Space) chunkStart--;
    let end = i + 1;
    while (end < length && classOf(text.charCodeAt(end)) !== C.Space) end++;
    if (chunkStart > fastFrom) n = fastSegment(text, fastFrom, chunkStart, out, n);
    n = intlSegment(text, chunkStart, end, out, n, loose);
    fastFrom = end;
    SLOW.lastIndex = end;
  }
  if (fastFrom < length) n = fastSegment(text, fastFrom, length, out, n);
  return n;
}

/**
 * Calls `sink` for every word-like segment of `text`, in order, and `loose`, when given, for the
 * segments that are not word-like yet hold ASCII letters or digits (segmentInto).
 */
export function segmentWords(text: string, sink: WordSink, loose?: WordSink): void {
  const out: Segments = { spans: new Int32Array(64) };
  const n = segmentInto(text, out, loose !== undefined);
  const spans = out.spans;
  for (let k = 0; k < n; k += 2) {
    const start = spans[k]!;
    if (start >= 0) sink(start, spans[k + 1]!);
    else loose!(-start - 1, spans[k + 1]!);
  }
}

/** Reference implementation: the words `Intl.Segmenter` finds, as [start, end) pairs. */
export function segmentWordsIntl(text: string): Array<[number, number]> {
  const out: Segments = { spans: new Int32Array(64) };
  const n = intlSegment(text, 0, text.length, out, 0, false);
  const pairs: Array<[number, number]> = [];
  for (let k = 0; k < n; k += 2) pairs.push([out.spans[k]!, out.spans[k + 1]!]);
  return pairs;
}

/** The words of `text` as [start, end) pairs (fast path where possible). */
export function wordSpans(text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  segmentWords(text, (s, e) => out.push([s, e]));
  return out;
}
