import iconv from 'iconv-lite';
import Parser from 'rss-parser';
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

  it('keeps "]]>" and markup in titles and descriptions', async () => {
    const feed = await parseFeed(
      `<rss version="2.0"><channel><title>F</title>
        <item><title>a ]]&gt; b</title><description><![CDATA[<p>x]]]]><![CDATA[>y</p>]]></description><guid>1</guid></item></channel></rss>`,
      't',
    );
    expect(feed.items[0]).toMatchObject({ title: 'a ]]> b', summary: '<p>x]]>y</p>' });
  });

  it.each([
    ['plain text', 'hello'],
    ['HTML page', '<html><body>not a feed</body></html>'],
    ['JSON that is not a feed', '{"a":1}'],
  ])('rejects %s as not-a-feed', async (_name, text) => {
    await expect(parseFeed(text, 'src')).rejects.toSatisfy((e: unknown) => e instanceof FetchError && e.errorClass === 'not-a-feed');
  });
});

describe('rss-parser under parseFeed', () => {
  it('skips the plain-text snippets of item HTML, which nothing reads, and keeps the HTML itself', async () => {
    const xml = '<rss version="2.0"><channel><title>t</title><item><title>a</title><description>&lt;p&gt;Kyiv &amp;amp; Kharkiv&lt;/p&gt;</description></item></channel></rss>';
    const [item] = (await new Parser().parseString(xml)).items;
    expect(item?.content).toBe('<p>Kyiv &amp; Kharkiv</p>');
    expect(item?.contentSnippet).toBe('');
    const parsed = await parseFeed(xml, 'test');
    expect(parsed.items[0]?.summary).toBe('<p>Kyiv &amp; Kharkiv</p>');
  });
});

describe('parseFeed of a text in pieces', () => {
  const cut = (text: string, size: number) => Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, (i + 1) * size));
  const outcome = (text: string | string[]) => parseFeed(text, 'src').then(
    (feed) => JSON.stringify(feed),
    (err: Error) => `error: ${err.message}`,
  );

  it('reads the pieces as one text, whatever their size', async () => {
    const feed = `\uFEFF  \n<rss version="2.0"><channel><title>T &amp; U</title><item><title>A ]]&gt; B</title><description><![CDATA[<p>one</p>]]></description><category>x</category></item></channel></rss>`;
    const whole = await outcome(feed);
    expect(whole).toContain('"title":"A ]]> B"');
    for (const size of [1, 2, 7, 100]) expect(await outcome(cut(feed, size))).toBe(whole);
  });

  it('checks sax’s buffer limits as it would on one text: a value over 64 K characters read, one left open refused alike', async () => {
    const long = 'x'.repeat(100_000);
    const feed = `<rss><channel><item><title>${long}</title><link href="${long}"/><guid>${long}&amp;${long}</guid></item></channel></rss>`;
    const whole = await outcome(feed);
    expect(whole).toContain(`"title":"${long}"`);
    expect(await outcome(cut(feed, 1_000))).toBe(whole);
    const open = `<rss><channel><item><link href="${long}`;
    expect(await outcome(open)).toMatch(/^error: src: not a readable RSS\/Atom feed: Max buffer length exceeded: attribValue/);
    expect(await outcome(cut(open, 1_000))).toBe(await outcome(open));
  });

  it('refuses what is neither XML nor JSON, naming how it starts', async () => {
    expect(await outcome(['  ', ' \n', 'n', 'ot a feed at all, not at all'])).toBe('error: src: not XML or JSON (starts with "not a feed at all, n")');
  });
});

describe('parseFeed on broken input', () => {
  it('refuses a document that is only a comment, and still reads the next feed (no hang)', async () => {
    await expect(parseFeed('<!-- nothing here -->', 'empty')).rejects.toBeInstanceOf(FetchError);
    const feed = await parseFeed('<rss version="2.0"><channel><item><title>Next</title></item></channel></rss>', 'next');
    expect(feed.items[0]?.title).toBe('Next');
  });

  it('says where a feed that cannot be repaired stops being XML (sax counts lines from 0)', async () => {
    await expect(parseFeed('<rss><channel><title>t</title>\n<item><title>a</titl></item></channel></rss>', 'x.xml')).rejects.toThrow(
      'x.xml: not a readable RSS/Atom feed: Unexpected close tag Line: 1 Column: 21',
    );
  });

  it('explains an <rss> without a <channel>', async () => {
    await expect(parseFeed('<rss version="2.0"></rss>', 'bare')).rejects.toThrow('bare: not a readable RSS/Atom feed: an <rss> document without a <channel>');
  });

  it('closes an end tag cut off at the end of the file', async () => {
    const feed = await parseFeed('<rss version="2.0"><channel><title>Cut</title><item><title>A &amp; B</title></item></channel></rss', 'cut');
    expect(feed.items[0]?.title).toBe('A & B');
  });

  it('reads UTF-32 feeds', () => {
    const xml = '<?xml version="1.0" encoding="utf-32"?><rss><title>Київ</title></rss>';
    expect(decodeBody(iconv.encode(xml, 'utf32-be'))).toBe(xml);
    expect(decodeBody(iconv.encode(xml, 'utf32-le'))).toBe(xml);
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
