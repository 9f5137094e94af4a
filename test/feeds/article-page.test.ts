// Which article pages are extracted: HTML and XHTML only, by content type, or by the body's first
// bytes when the server sends none.

import { describe, expect, it } from 'vitest';
import { isHtml } from '../../src/feeds/article-page.js';

const html = Buffer.from('\n  <!doctype html><html><body><p>Hello</p></body></html>');
const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x3c, 0x68]);

describe('isHtml', () => {
  it.each(['text/html', 'text/html; charset=utf-8', 'TEXT/HTML', 'application/xhtml+xml'])('extracts %s', (type) => {
    expect(isHtml(type, html)).toBe(true);
  });

  it.each(['image/png', 'application/octet-stream', 'application/pdf', 'text/plain', 'application/json', 'video/mp4'])('does not extract %s, whatever the body', (type) => {
    expect(isHtml(type, html)).toBe(false);
  });

  it('extracts XHTML served as generic XML, not other XML', () => {
    expect(isHtml('application/xml', Buffer.from('<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body/></html>'))).toBe(true);
    expect(isHtml('text/xml', Buffer.from('<?xml version="1.0"?><rss version="2.0"/>'))).toBe(false);
  });

  it('without a content type, extracts a body that starts with markup (after a byte order mark), not binary bytes', () => {
    expect(isHtml(null, html)).toBe(true);
    expect(isHtml(undefined, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), html]))).toBe(true);
    expect(isHtml(null, Buffer.from('\ufeff<html></html>', 'utf16le'))).toBe(true);
    expect(isHtml(null, png)).toBe(false);
    expect(isHtml(null, Buffer.from('%PDF-1.7'))).toBe(false);
  });
});
