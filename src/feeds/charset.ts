// Bytes to Unicode text. The charset comes from the HTTP Content-Type, else a byte-order mark,
// else the XML declaration, else <meta charset>; UTF-8 when none says. Decoding uses iconv-lite,
// which knows windows-1251, KOI8-R and the other legacy encodings still served by news sites.

import iconv from 'iconv-lite';

export function decodeBody(body: Buffer, contentType?: string | null): string {
  const charset = detectCharset(body, contentType);
  const text = iconv.decode(body, charset);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export function detectCharset(body: Buffer, contentType?: string | null): string {
  const fromHeader = /charset\s*=\s*["']?([\w.:-]+)/i.exec(contentType ?? '')?.[1];
  if (fromHeader && iconv.encodingExists(fromHeader)) return fromHeader.toLowerCase();
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) return 'utf-8';
  if (body[0] === 0xff && body[1] === 0xfe) return 'utf-16le';
  if (body[0] === 0xfe && body[1] === 0xff) return 'utf-16be';
  const head = body.subarray(0, 2048).toString('latin1');
  const declared =
    /<\?xml[^>]*encoding\s*=\s*["']([\w.:-]+)["']/i.exec(head)?.[1] ??
    /<meta[^>]+charset\s*=\s*["']?([\w.:-]+)/i.exec(head)?.[1];
  if (declared && iconv.encodingExists(declared)) return declared.toLowerCase();
  return 'utf-8';
}
