// Every feed format and its quirks, from the hand-written fixtures in test/fixtures/feeds, through
// decodeBody → parseFeed → normaliseFeed as the poll worker runs them.

import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Article } from '../../src/feeds/article.js';
import { decodeBody } from '../../src/feeds/charset.js';
import { feedInfo, normaliseFeed } from '../../src/feeds/normalise.js';
import { parseFeed } from '../../src/feeds/parse.js';

const NOW = new Date('2026-11-24T12:00:00Z');
const FEED_URL = 'https://feeds.example.org/path/feed.xml';

async function read(name: string, url = FEED_URL): Promise<{ title?: string; items: Article[] }> {
  const bytes = await readFile(new URL(`../fixtures/feeds/${name}`, import.meta.url));
  const parsed = await parseFeed(decodeBody(bytes), name);
  return { title: feedInfo(parsed, url).title, items: normaliseFeed(parsed, { id: 'f', url }, NOW) };
}

describe('Atom with xml:base', () => {
  it('resolves links against the feed, entry and link xml:base in turn', async () => {
    const { items } = await read('atom-xml-base.xml');
    expect(items.map((i) => i.url)).toEqual([
      'https://kyiv.example.org/news/2026/11/talks?page=2',
      'https://other.example.net/world/story-2',
      'https://cdn.example.com/a/b/story-3',
    ]);
  });

  it('makes links and images inside the content absolute', async () => {
    const [first] = (await read('atom-xml-base.xml')).items;
    expect(first?.contentHtml).toContain('href="https://kyiv.example.org/photos/1.html"');
    expect(first?.contentHtml).toContain('src="https://kyiv.example.org/news/img/1.jpg"');
  });

  it('reads id, clean text, author, categories (label and term), the published date and xml:lang', async () => {
    const [first] = (await read('atom-xml-base.xml')).items;
    expect(first).toMatchObject({
      id: 'tag:kyiv.example.org,2026:1',
      title: 'Переговори про перемир’я',
      summary: 'Делегації & посередники зустрілися.',
      content: 'Text with a photo',
      author: 'Олена Петренко',
      categories: ['Політика', 'politics', 'ukraine'],
      language: 'uk',
      published: '2026-11-24T07:30:00.000Z',
    });
  });

  it('keeps an entry whose date is unreadable, dated when first seen', async () => {
    const { items } = await read('atom-xml-base.xml');
    expect(items[1]).toMatchObject({ title: 'Second entry', published: NOW.toISOString() });
    expect(items[2]?.published).toBe('2026-11-23T08:00:00.000Z');
  });
});

describe('RSS 2.0 with relative links', () => {
  it('resolves links against the feed URL and drops tracking parameters and fragments', async () => {
    const { items } = await read('rss2-relative.xml');
    expect(items.map((i) => i.url)).toEqual([
      'https://feeds.example.org/energy/grid-repairs?id=42',
      'https://feeds.example.org/path/stories/no-guid.html',
    ]);
    expect(items[0]?.contentHtml).toBe('<p>Crews restored power. <a href="https://feeds.example.org/map">See the map</a>.</p>');
  });

  it('cleans HTML out of titles and summaries and takes the name from "email (name)"', async () => {
    const [first] = (await read('rss2-relative.xml')).items;
    expect(first).toMatchObject({
      id: 'energy-42',
      title: 'Energy grid & repairs',
      summary: 'Crews restored power to most districts.',
      author: 'Ivan Franko',
      categories: ['Energy', 'Ukraine'],
      published: '2026-11-24T08:00:00.000Z',
    });
  });

  it('takes the canonical link as id when there is no guid, and detects the language of enough text', async () => {
    const second = (await read('rss2-relative.xml')).items[1];
    expect(second).toMatchObject({ id: 'https://feeds.example.org/path/stories/no-guid.html', published: NOW.toISOString(), language: 'en' });
  });
});

describe('other RSS versions', () => {
  it('reads RSS 1.0 (RDF) with Dublin Core date, creator, subject and language', async () => {
    const [item] = (await read('rss1.rdf')).items;
    expect(item).toMatchObject({
      url: 'https://wire.example.org/a',
      title: 'Grain corridor reopens',
      author: 'Wire Desk',
      categories: ['Shipping'],
      language: 'en',
      published: '2026-11-23T04:15:00.000Z',
    });
  });

  it('reads RSS 0.91 in ISO-8859-1 with a named time zone', async () => {
    const { title, items } = await read('rss091.xml');
    expect(title).toBe('Old School');
    expect(items[0]).toMatchObject({ title: 'Café news', summary: 'Un café crème.', language: 'fr', published: '2026-11-23T15:00:00.000Z' });
  });

  it('reads a feed that is not well-formed XML after repairing entities and ampersands', async () => {
    const { title, items } = await read('illformed.xml');
    expect(title).toBe('Broken Feed');
    expect(items[0]).toMatchObject({ title: 'Tom & Jerry—together', url: 'https://broken.example.org/1?a=1&b=2' });
  });
});

describe('legacy charsets from the XML declaration', () => {
  it('reads windows-1251', async () => {
    const [item] = (await read('windows-1251.xml')).items;
    expect(item).toMatchObject({ title: 'Енергетики відновили світло у Києві', summary: 'Ремонтні бригади працювали всю ніч.', language: 'uk' });
  });
  it('reads KOI8-R', async () => {
    expect((await read('koi8-r.xml')).items[0]?.title).toBe('Переговоры о перемирии продолжатся в Стамбуле');
  });
});

describe('JSON Feed', () => {
  it('reads version 1.1: authors, tags, language, content and external URLs', async () => {
    const { items } = await read('jsonfeed-1.1.json');
    expect(items[0]).toMatchObject({
      id: 'j1',
      url: 'https://json.example.org/j1',
      title: 'Black Sea shipping resumes',
      summary: 'Ships left port.',
      contentHtml: '<p>Ships <a href="https://feeds.example.org/ports">left port</a>.</p>',
      author: 'Item Author',
      categories: ['shipping', 'black-sea'],
      language: 'uk',
      published: '2026-11-24T05:00:00.000Z',
    });
    expect(items[1]).toMatchObject({ id: '2', url: 'https://elsewhere.example.com/2', author: 'Feed Author', language: 'en', summary: 'Only text here.' });
  });

  it('reads version 1.0: a single author and a relative url', async () => {
    const [item] = (await read('jsonfeed-1.0.json')).items;
    expect(item).toMatchObject({ id: 'https://json.example.org/old-1', url: 'https://feeds.example.org/old-1', author: 'Item Author 1.0' });
  });
});

describe('Atom text constructs (issue 15)', () => {
  it('reads type="xhtml" titles, the feed title included, without the wrapping div', async () => {
    const { title, items } = await read('atom-text-constructs.xml');
    expect(title).toBe('Example Atom feed');
    expect(items[0]?.title).toBe('Ceasefire talks resume');
  });

  it('keeps type="xhtml" content in document order', async () => {
    const [first] = (await read('atom-text-constructs.xml')).items;
    expect(first?.content).toBe('First bold middle it end bold2.');
    expect(first?.contentHtml).toBe('First <b>bold</b> middle <i>it</i> end <b>bold2</b>.');
  });

  it('reads type="text" (and no type) as text: brackets stay, entities are not decoded twice', async () => {
    const second = (await read('atom-text-constructs.xml')).items[1];
    expect(second?.title).toBe('History of the <blink> tag');
    expect(second?.summary).toBe('Plain & simple: <p> is no paragraph here');
  });

  it('leaves the text of script, style and noscript out of the text rules match', async () => {
    const second = (await read('atom-text-constructs.xml')).items[1];
    expect(second?.content).toBe('safe description');
  });

  it('decodes a base64 summary (Atom 0.3 mode="base64")', async () => {
    expect((await read('atom-text-constructs.xml')).items[2]?.summary).toBe('Grain exports rise');
  });
});

describe('fallback fields publishers rely on (issue 15)', () => {
  it('takes title, description and category from Media RSS inside media:group, and dcterms:issued as the date', async () => {
    const [first] = (await read('rss-fallbacks.xml')).items;
    expect(first).toMatchObject({
      title: 'Kyiv briefing, live',
      summary: 'Officials answer questions <on> the truce.',
      categories: ['News'],
      published: '2026-11-24T06:00:00.000Z',
    });
  });

  it('takes media:title type="html", dc:description, dc:author and dcterms:modified', async () => {
    const second = (await read('rss-fallbacks.xml')).items[1];
    expect(second).toMatchObject({ title: 'Grain exports rise', summary: 'Ships leave Odesa.', author: 'Wire Desk', published: '2026-11-23T10:00:00.000Z' });
  });

  it("lets the item's own title, description and pubDate win over the fallbacks", async () => {
    const third = (await read('rss-fallbacks.xml')).items[2];
    expect(third).toMatchObject({ title: 'Own title wins', summary: 'Own description wins', published: '2026-11-24T09:00:00.000Z' });
  });
});

describe('RSS with prefixed namespaces and no default namespace (issue 15)', () => {
  it('reads RSS 1.0 whose elements are all rss:-prefixed', async () => {
    const { title, items } = await read('rss1-prefixed.rdf');
    expect(title).toBe('Prefixed Wire');
    expect(items[0]).toMatchObject({ id: 'https://wire.example.org/p1', title: 'Port of Odesa reopens', summary: 'Ships are moving again.', published: '2026-11-23T04:15:00.000Z' });
  });

  it('reads RSS 2.0 in a prefixed namespace, never taking another namespace\'s <description>', async () => {
    const { title, items } = await read('rss2-prefixed.xml');
    expect(title).toBe('Prefixed RSS 2');
    expect(items[0]).toMatchObject({ id: 'rss2-1', url: 'https://rss2.example.org/1', title: 'Black Sea shipping resumes', summary: 'The right description.' });
  });
});

describe('xml:base on the <rss> root (issue 15)', () => {
  it('resolves item links and links in content against it', async () => {
    const [item] = (await read('rss2-root-base.xml')).items;
    expect(item?.url).toBe('https://base.example.org/news/2026/11/story');
    expect(item?.contentHtml).toContain('href="https://base.example.org/photos/1.html"');
    expect(item?.language).toBe('uk');
  });
});

describe('windows-1252 in disguise (issue 15)', () => {
  const feed = (description: string) => `<?xml version="1.0"?><rss version="2.0"><channel><item><guid>1</guid><description>${description}</description></item></channel></rss>`;
  const summaryOf = async (bytes: Buffer, contentType?: string) => normaliseFeed(await parseFeed(decodeBody(bytes, contentType), 't'), { id: 'f', url: FEED_URL }, NOW)[0]?.summary;

  it('reads C1 controls in UTF-8 as the cp1252 punctuation they meant', async () => {
    expect(await summaryOf(Buffer.from(feed('don\u0092t \u0093quote\u0094 \u0085'), 'utf8'))).toBe('don’t “quote” …');
  });

  it('reads C1 character references (&#146;) the same way', async () => {
    expect(await summaryOf(Buffer.from(feed('don&#146;t &#x93;quote&#x94;'), 'utf8'))).toBe('don’t “quote”');
  });

  it('reads bytes 0x80-0x9F of a feed declared ISO-8859-1 as windows-1252', async () => {
    const bytes = Buffer.concat([Buffer.from(feed('don\u0000t').split('\u0000')[0] as string, 'latin1'), Buffer.from([0x92]), Buffer.from(feed('don\u0000t').split('\u0000')[1] as string, 'latin1')]);
    expect(await summaryOf(bytes, 'application/rss+xml; charset=ISO-8859-1')).toBe('don’t');
  });
});
