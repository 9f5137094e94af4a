import { describe, expect, it } from 'vitest';
import { canonicalUrl, htmlToText, normaliseFeed, normaliseFeedItems } from '../../src/feeds/normalise.js';
import { parseFeed } from '../../src/feeds/parse.js';

const feed = { id: 'wire', url: 'https://news.example.org/feeds/world.xml' };

describe('canonicalUrl', () => {
  it('resolves relative links and removes tracking parameters and fragments', () => {
    expect(canonicalUrl('/world/story-1?utm_source=rss&id=7&fbclid=abc#comments', feed.url)).toBe(
      'https://news.example.org/world/story-1?id=7',
    );
  });
  it('refuses non-http links', () => {
    expect(canonicalUrl('javascript:alert(1)', feed.url)).toBeUndefined();
    expect(canonicalUrl('mailto:desk@example.org', feed.url)).toBeUndefined();
  });
});

describe('htmlToText', () => {
  it('strips tags, decodes entities and folds white space', () => {
    expect(htmlToText('<p>Kyiv &amp; <b>Odesa</b>\n\n  talks</p>')).toBe('Kyiv & Odesa talks');
  });

  it('keeps paragraphs, list items and line breaks apart, so their words do not run together', () => {
    expect(htmlToText('<p>contempt</p><p>Donald</p><ul><li>one</li><li>two</li></ul>a<br>b')).toBe('contempt Donald one two a b');
  });

  it('leaves out the text of script, style, noscript, template and iframe', () => {
    expect(htmlToText('a<script>x=1</script><style>b{}</style><noscript>js</noscript><template>t</template><iframe><p>f</p></iframe> b')).toBe('a b');
  });
});

describe('normaliseFeed', () => {
  const now = new Date('2026-11-24T12:00:00Z');

  it('takes the guid as id, else the canonical link, else a hash of title and date', async () => {
    const parsed = await parseFeed(
      `<rss version="2.0"><channel><title>W</title>
        <item><guid>g-1</guid><title>One</title><link>/a</link></item>
        <item><title>Two</title><link>/b?utm_medium=x</link></item>
        <item><title>Three</title><pubDate>Mon, 23 Nov 2026 10:00:00 GMT</pubDate></item>
      </channel></rss>`,
      'test',
    );
    const items = normaliseFeed(parsed, feed, now);
    expect(items.map((i) => i.id)).toEqual(['g-1', 'https://news.example.org/b', expect.stringMatching(/^[0-9a-f]{32}$/)]);
    expect(items[0]?.url).toBe('https://news.example.org/a');
    expect(items[2]?.published).toBe('2026-11-23T10:00:00.000Z');
    expect(items[0]?.published).toBe(now.toISOString());
  });

  it('gives the same hash id for the same title and date on every poll', async () => {
    const xml = `<rss version="2.0"><channel><item><title>Same</title></item></channel></rss>`;
    const a = normaliseFeed(await parseFeed(xml, 't'), feed, now);
    const b = normaliseFeed(await parseFeed(xml, 't'), feed, new Date());
    expect(a[0]?.id).toBe(b[0]?.id);
  });

  it('cleans HTML in titles and keeps content HTML', async () => {
    const parsed = await parseFeed(
      `<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><language>en-GB</language>
        <item><guid>x</guid><title>&lt;b&gt;Truce&lt;/b&gt; &amp;amp; talks</title>
        <content:encoded><![CDATA[<p>Body <em>text</em></p>]]></content:encoded></item></channel></rss>`,
      't',
    );
    const [item] = normaliseFeed(parsed, feed, now);
    expect(item).toMatchObject({ title: 'Truce & talks', content: 'Body text', contentHtml: '<p>Body <em>text</em></p>', language: 'en' });
  });

  it('makes links in content HTML absolute, and without html leaves the HTML out but reads the same text', async () => {
    const parsed = await parseFeed(
      `<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
        <item><guid>x</guid><title>T</title>
        <content:encoded><![CDATA[<p>Talks in <a href="/kyiv">Kyiv</a></p><ul><li>one</li><li>two</li></ul><img src="i.png">]]></content:encoded></item></channel></rss>`,
      't',
    );
    const [withHtml] = normaliseFeed(parsed, feed, now);
    expect(withHtml?.contentHtml).toBe('<p>Talks in <a href="https://news.example.org/kyiv">Kyiv</a></p><ul><li>one</li><li>two</li></ul><img src="https://news.example.org/feeds/i.png">');
    expect(withHtml?.content).toBe('Talks in Kyiv one two');
    const [withoutHtml] = normaliseFeedItems(parsed, feed, now, { html: false }).items;
    expect(withoutHtml).toEqual({ ...withHtml, contentHtml: undefined });
  });

  it('with known ids, only identifies those items (guid, link or hash) and reads the others as without them', async () => {
    const parsed = await parseFeed(
      `<rss version="2.0"><channel>
        <item><guid>g-1</guid><title>One</title><link>/a</link><description>Talks in Kyiv.</description></item>
        <item><title>Two</title><link>/b?utm_medium=x</link></item>
        <item><title>Three</title><pubDate>Mon, 23 Nov 2026 10:00:00 GMT</pubDate></item>
        <item><guid>g-4</guid><title>Four</title></item>
        <item><guid>g-1</guid><title>One again</title></item>
      </channel></rss>`,
      'test',
    );
    const all = normaliseFeedItems(parsed, feed, now);
    const ids = all.items.map((i) => i.id);
    expect(all).toMatchObject({ knownIds: [], repeatedIds: 1 });
    const known = [ids[0]!, ids[1]!, ids[2]!, 'gone-from-the-feed'];
    const some = normaliseFeedItems(parsed, feed, now, { known });
    expect(some.knownIds).toEqual(ids.slice(0, 3));
    expect(some.items).toEqual(all.items.slice(3));
    expect(some.repeatedIds).toBe(1);
    // By link, the first item's id is its link, so it is read; the last, without a link, is g-1 and known.
    const byLink = normaliseFeedItems(parsed, { ...feed, identity: 'link' }, now, { known });
    expect(byLink.knownIds).toEqual([ids[1], ids[2], 'g-1']);
    expect(byLink.items.map((i) => i.id)).toEqual(['https://news.example.org/a', 'g-4']);
    expect(byLink.repeatedIds).toBe(0);
  });

  it('drops a repeated item id within one feed', async () => {
    const xml = `<rss version="2.0"><channel><item><guid>d</guid><title>A</title></item><item><guid>d</guid><title>B</title></item></channel></rss>`;
    expect(normaliseFeed(await parseFeed(xml, 't'), feed, now).map((i) => i.title)).toEqual(['A']);
  });
});
