import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { decodeBody, decodePieces, detectCharset } from '../../src/feeds/charset.js';

const KYIV = 'Новини Києва: «перемир’я»';

describe('detectCharset and decodeBody', () => {
  it('takes the charset of the HTTP header first', () => {
    const body = iconv.encode('<?xml version="1.0" encoding="utf-8"?><rss><title>Новини Києва</title></rss>', 'koi8-u');
    expect(detectCharset(body, 'application/rss+xml; charset=KOI8-U')).toEqual({ encoding: 'koi8-u', source: 'header' });
    expect(decodeBody(body, 'application/rss+xml; charset=KOI8-U')).toContain('Новини Києва');
  });

  it('reads windows-1251 named in the XML declaration, even after blank lines', () => {
    const body = iconv.encode(`\n\n<?xml version="1.0" encoding="windows-1251"?><rss><title>${KYIV}</title></rss>`, 'win1251');
    expect(detectCharset(body, 'text/xml')).toEqual({ encoding: 'windows-1251', source: 'declaration' });
    expect(decodeBody(body, 'text/xml')).toContain(KYIV);
  });

  it('reads KOI8-R named in the XML declaration', () => {
    const body = iconv.encode(`<?xml version="1.0" encoding="KOI8-R"?><rss><title>Москва</title></rss>`, 'koi8-r');
    expect(decodeBody(body)).toContain('<title>Москва</title>');
  });

  it('reads <meta charset> of an HTML page', () => {
    const body = iconv.encode(`<html><head><meta charset="windows-1251"><title>${KYIV}</title></head></html>`, 'win1251');
    expect(decodeBody(body, 'text/html')).toContain(KYIV);
    const pragma = iconv.encode(`<html><head><meta http-equiv="Content-Type" content="text/html; charset=koi8-r"></head>Москва</html>`, 'koi8-r');
    expect(decodeBody(pragma, 'text/html')).toContain('Москва');
  });

  it('lets a byte-order mark win over everything', () => {
    const body = Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(`<?xml version="1.0"?><rss><title>${KYIV}</title></rss>`, 'utf-16le')]);
    expect(detectCharset(body, 'text/xml; charset=iso-8859-1').source).toBe('bom');
    expect(decodeBody(body, 'text/xml; charset=iso-8859-1')).toBe(`<?xml version="1.0"?><rss><title>${KYIV}</title></rss>`);
  });

  it('reads UTF-8 when a Latin-1 header contradicts a UTF-8 declaration that the bytes bear out', () => {
    const body = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><rss><title>${KYIV}</title></rss>`);
    expect(decodeBody(body, 'text/xml; charset=ISO-8859-1')).toContain(KYIV);
  });

  it('reads valid multi-byte UTF-8 as UTF-8 when a stale <meta charset> says otherwise and no header names a charset', () => {
    // A UTF-8 page saved and re-served with the <meta> of its former encoding.
    const body = Buffer.from(`<html><head><meta charset="gb2312"><title>新闻</title></head><body><p>${KYIV}: 新闻</p></body></html>`);
    expect(detectCharset(body, 'text/html')).toEqual({ encoding: 'utf-8', source: 'content' });
    expect(decodeBody(body, 'text/html')).toContain(`${KYIV}: 新闻`);
    expect(decodeBody(body)).toContain('<title>新闻</title>');
    // A charset in the header still wins, and so does the <meta> when the bytes are really its encoding.
    expect(detectCharset(body, 'text/html; charset=gb2312').source).toBe('header');
    const gb = iconv.encode('<html><head><meta charset="gb2312"><title>新闻</title></head></html>', 'gb2312');
    expect(detectCharset(gb, 'text/html')).toEqual({ encoding: 'gbk', source: 'declaration' });
    expect(decodeBody(gb, 'text/html')).toContain('<title>新闻</title>');
  });

  it('keeps a Latin-1 header when the body really is Latin-1', () => {
    const body = iconv.encode('<?xml version="1.0" encoding="UTF-8"?><rss><title>Café crème</title></rss>', 'latin1');
    expect(decodeBody(body, 'text/xml; charset=ISO-8859-1')).toContain('Café crème');
  });

  it('defaults to UTF-8, and to windows-1252 for undeclared bytes that are not UTF-8', () => {
    expect(decodeBody(Buffer.from(`<rss><title>${KYIV}</title></rss>`))).toContain(KYIV);
    expect(decodeBody(iconv.encode('<rss><title>Déjà vu – “quoted”</title></rss>', 'win1252'))).toContain('Déjà vu – “quoted”');
  });
});

describe('decodePieces', () => {
  it('cuts large UTF-8 between characters, into pieces that join to decodeBody’s text', () => {
    // Two byte order marks (iconv-lite drops one, decodeBody the other), then 2-, 3- and 4-byte characters at every offset.
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf]), Buffer.from(`<rss>${'é’😀a'.repeat(20_000)}</rss>`)]);
    const pieces = decodePieces(body, 'text/xml; charset=utf-8');
    expect(pieces.length).toBeGreaterThan(5);
    expect(pieces.every((p) => p.length <= 32_768 && !/^[\uDC00-\uDFFF]/.test(p))).toBe(true);
    expect(pieces.join('')).toBe(decodeBody(body, 'text/xml; charset=utf-8'));
    expect(pieces[0]!.startsWith('<rss>')).toBe(true);
  });

  it('gives other bodies in one piece: not UTF-8, or not valid UTF-8', () => {
    const cyrillic = iconv.encode(`<?xml version="1.0" encoding="windows-1251"?><rss>${KYIV.repeat(3_000)}</rss>`, 'win1251');
    expect(decodePieces(cyrillic)).toEqual([decodeBody(cyrillic)]);
    const broken = Buffer.concat([Buffer.from(`<rss>${'é'.repeat(20_000)}`), Buffer.from([0xf0, 0x80, 0x41]), Buffer.from('</rss>')]);
    expect(decodePieces(broken, 'text/xml; charset=utf-8')).toEqual([decodeBody(broken, 'text/xml; charset=utf-8')]);
  });
});
