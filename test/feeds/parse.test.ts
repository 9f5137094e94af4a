import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { decodeBody } from '../../src/feeds/charset.js';
import { FetchError } from '../../src/feeds/fetch.js';
import { parseFeed } from '../../src/feeds/parse.js';

describe('parseFeed', () => {
  it('reads Atom entries', async () => {
    const feed = await parseFeed(
      `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
        <entry><id>tag:x,2026:1</id><title>Entry</title><link href="https://e.org/1"/><updated>2026-11-24T10:00:00Z</updated><summary>S</summary></entry></feed>`,
      't',
    );
    expect(feed.items[0]).toMatchObject({ guid: 'tag:x,2026:1', title: 'Entry', link: 'https://e.org/1', summary: 'S' });
  });

  it('reads JSON Feed 1.1', async () => {
    const feed = await parseFeed(
      JSON.stringify({
        version: 'https://jsonfeed.org/version/1.1',
        title: 'J',
        items: [{ id: 1, url: 'https://e.org/j', title: 'Jay', content_html: '<p>x</p>', date_published: '2026-11-24T10:00:00Z', tags: ['t'] }],
      }),
      't',
    );
    expect(feed.items[0]).toMatchObject({ guid: '1', link: 'https://e.org/j', title: 'Jay', contentHtml: '<p>x</p>', categories: ['t'] });
  });

  it.each([
    ['plain text', 'hello'],
    ['HTML page', '<html><body>not a feed</body></html>'],
    ['JSON that is not a feed', '{"a":1}'],
  ])('rejects %s as not-a-feed', async (_name, text) => {
    await expect(parseFeed(text, 'src')).rejects.toSatisfy((e: unknown) => e instanceof FetchError && e.errorClass === 'not-a-feed');
  });
});

describe('decodeBody', () => {
  it('decodes windows-1251 named in the XML declaration', () => {
    const xml = '<?xml version="1.0" encoding="windows-1251"?><rss><title>Київ</title></rss>';
    expect(decodeBody(iconv.encode(xml, 'win1251'))).toContain('Київ');
  });
  it('prefers the charset of the HTTP header', () => {
    expect(decodeBody(iconv.encode('<p>Москва</p>', 'koi8-r'), 'text/html; charset=KOI8-R')).toBe('<p>Москва</p>');
  });
});
