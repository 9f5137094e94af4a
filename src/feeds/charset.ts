// Bytes to Unicode text. The encoding is found by encoding-sniffer (the WHATWG algorithm: byte
// order mark, then the HTTP Content-Type charset, then the XML declaration or <meta charset>),
// with one correction for a common server misconfiguration: a Latin-1 header on a body that
// declares UTF-8 and is valid UTF-8 is read as UTF-8; and with no charset in the header, bytes that
// are valid UTF-8 with multi-byte sequences win over a conflicting <meta charset> or XML
// declaration (a page saved and re-served with a stale declaration: legacy text is almost never
// valid UTF-8 by chance). Undeclared bytes that are not valid UTF-8 are read as windows-1252. Decoding is iconv-lite (every legacy encoding news sites serve).
// C1 control characters (U+0080–U+009F) that survive decoding, raw or as `&#146;`, are what a
// windows-1252 writer meant by those bytes (browsers and feedparser read them so):
// fixC1Controls turns them into that punctuation.

import { isAscii, isUtf8 } from 'node:buffer';
import { ResultType, Sniffer } from 'encoding-sniffer/sniffer';
import iconv from 'iconv-lite';

/** `content`: the bytes themselves (valid multi-byte UTF-8 against a stale declaration). */
export type CharsetSource = 'bom' | 'header' | 'declaration' | 'content' | 'default';

export interface DetectedCharset {
  /** WHATWG encoding name, e.g. "utf-8", "windows-1251", "koi8-r". */
  encoding: string;
  /** Where it came from. */
  source: CharsetSource;
}

const SOURCES: Record<ResultType, CharsetSource> = {
  [ResultType.BOM]: 'bom',
  [ResultType.PASSED]: 'header',
  [ResultType.XML_PREFIX]: 'declaration',
  [ResultType.META_TAG]: 'declaration',
  [ResultType.XML_ENCODING]: 'declaration',
  [ResultType.DEFAULT]: 'default',
};
const LATIN1 = new Set(['windows-1252', 'iso-8859-1', 'us-ascii']);

export function decodeBody(body: Buffer, contentType?: string | null): string {
  return decodeAs(body, detectCharset(body, contentType).encoding);
}

function decodeAs(body: Buffer, encoding: string): string {
  const text = iconv.encodingExists(encoding) ? iconv.decode(body, encoding) : decodeWithPlatform(body, encoding);
  return withoutBom(text);
}

const withoutBom = (text: string) => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);

/**
 * Bytes of UTF-8 decoded per piece by decodePieces: a piece of text stays below V8's large-object
 * size (128 KB, which two-byte text reaches at 64 K characters).
 */
const PIECE_BYTES = 32_768;

/**
 * decodeBody's text in pieces whose concatenation is that text. V8 allocates a string over 128
 * KB as a large object, which the kernel maps and unmaps each time: decoding a 125 KB feed with
 * some non-ASCII text into one string cost 1.5-2 ms here, in pieces 0.25 ms. Valid UTF-8 is cut
 * between characters (it decodes alike whole or cut); any other body is one piece.
 */
export function decodePieces(body: Buffer, contentType?: string | null): string[] {
  const { encoding } = detectCharset(body, contentType);
  if (encoding !== 'utf-8' || body.length <= PIECE_BYTES || !isUtf8(body)) return [decodeAs(body, encoding)];
  const pieces: string[] = [];
  for (let start = 0; start < body.length; ) {
    let end = Math.min(body.length, start + PIECE_BYTES);
    while (end < body.length && (body[end]! & 0xc0) === 0x80) end--;
    pieces.push(body.toString('utf8', start, end));
    start = end;
  }
  // As decodeBody: iconv-lite drops a byte order mark, then decodeBody one more.
  pieces[0] = withoutBom(withoutBom(pieces[0]!));
  return pieces;
}

export function detectCharset(body: Buffer, contentType?: string | null): DetectedCharset {
  const utf32 = detectUtf32(body);
  if (utf32) return utf32;
  const label = /charset\s*=\s*["']?([\w.:-]+)/i.exec(contentType ?? '')?.[1];
  let found = sniff(body, label);
  // Feeds often start with blank lines before their XML declaration; the declaration still counts.
  const start = body.findIndex((byte) => byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09);
  if (found.source === 'default' && start > 0) found = sniff(body.subarray(start), label);
  if (found.source === 'header' && LATIN1.has(found.encoding) && declaresUtf8(body) && isUtf8(body)) {
    return { encoding: 'utf-8', source: 'declaration' };
  }
  if (found.source === 'declaration' && found.encoding !== 'utf-8' && hasMultiByteUtf8(body)) return { encoding: 'utf-8', source: 'content' };
  if (found.source === 'default' && !isUtf8(body)) return { encoding: 'windows-1252', source: 'default' };
  return found;
}

/** UTF-32 is outside the WHATWG sniffer; it shows as a BOM or as "<" padded with three zero bytes. */
function detectUtf32(body: Buffer): DetectedCharset | undefined {
  const head = body.subarray(0, 4).toString('hex');
  if (head === '0000feff' || head === '0000003c') return { encoding: 'utf-32be', source: head === '0000feff' ? 'bom' : 'declaration' };
  if (head === 'fffe0000' || head === '3c000000') return { encoding: 'utf-32le', source: head === 'fffe0000' ? 'bom' : 'declaration' };
  return undefined;
}

function sniff(body: Buffer, label: string | undefined): DetectedCharset {
  const sniffer = new Sniffer({ transportLayerEncodingLabel: label, defaultEncoding: 'utf-8', maxBytes: 2048 });
  sniffer.write(body.subarray(0, 2048));
  return { encoding: sniffer.encoding.toLowerCase(), source: SOURCES[sniffer.resultType] };
}

function declaresUtf8(body: Buffer): boolean {
  const head = body.subarray(0, 1024).toString('latin1');
  const declared =
    /<\?xml[^>]*encoding\s*=\s*["']([\w.:-]+)["']/i.exec(head)?.[1] ?? /<meta[^>]+charset\s*=\s*["']?([\w.:-]+)/i.exec(head)?.[1];
  return /^utf-?8$/i.test(declared ?? '');
}

/** Valid UTF-8 that is not plain ASCII (which every ASCII-compatible declaration reads alike). */
function hasMultiByteUtf8(body: Buffer): boolean {
  return !isAscii(body) && isUtf8(body);
}

/** Node's own WHATWG decoder for the few encodings iconv-lite lacks (e.g. x-mac-cyrillic). */
function decodeWithPlatform(body: Buffer, encoding: string): string {
  try {
    return new TextDecoder(encoding).decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body);
  }
}

/** U+0080–U+009F → the windows-1252 characters of bytes 0x80–0x9F (the five undefined ones stay). */
export function fixC1Controls(text: string): string {
  return /[\u0080-\u009f]/.test(text) ? text.replace(/[\u0080-\u009f]/g, (c) => CP1252_C1[c.charCodeAt(0) - 0x80] ?? c) : text;
}

// iconv-lite's table; the five bytes windows-1252 leaves undefined keep their C1 character (as in
// the WHATWG table). Node's own TextDecoder reads this label as Latin-1, so it cannot serve here.
const CP1252_C1 = [...iconv.decode(Buffer.from(Array.from({ length: 32 }, (_, i) => 0x80 + i)), 'windows-1252')].map((c, i) =>
  c === '\uFFFD' ? String.fromCharCode(0x80 + i) : c,
);
