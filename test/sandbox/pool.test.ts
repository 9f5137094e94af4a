// Specification of the sandbox pool (src/sandbox/pool.ts): pages and feeds are parsed in worker
// threads; a task over its time or memory budget is abandoned with an "over-budget" FetchError
// naming the page, the budget and the setting, its thread is replaced, and the main thread stays
// free meanwhile.

import iconv from 'iconv-lite';
import { afterEach, describe, expect, it } from 'vitest';
import { FetchError } from '../../src/feeds/fetch.js';
import { Sandbox } from '../../src/sandbox/pool.js';

/** About 4 MB of paragraphs below 500 nested <div>s: seconds of parse5 on any machine, and a large heap. */
const HEAVY = `<html><body>${'<div>'.repeat(500)}${'<p>x</p>'.repeat(500_000)}`;
const ARTICLE = `<html><body><article>${'<p>A paragraph of the article, with commas, clauses, and enough words to count.</p>'.repeat(6)}</article>`;
const RSS = '<rss version="2.0"><channel><title>T</title><item><guid>1</guid><title>First</title><link>/a?utm_source=x</link></item></channel></rss>';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function failure(promise: Promise<unknown>): Promise<FetchError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FetchError);
  return err as FetchError;
}

describe('Sandbox', () => {
  it('extracts a page, parses a feed and gives its parse error back as the FetchError it was', async () => {
    sandbox = new Sandbox({ timeoutMs: 20_000, memoryMb: 256, threads: 1 });
    expect((await sandbox.extract(ARTICLE, { url: 'https://news.example/a', siteRules: [] })).text).toContain('A paragraph of the article');
    const feed = await sandbox.parseFeed(RSS, 'https://news.example/feed.xml', { id: 'wire', url: 'https://news.example/feed.xml' });
    expect(feed.title).toBe('T');
    expect(feed.items.map((i) => [i.feed, i.title, i.url])).toEqual([['wire', 'First', 'https://news.example/a']]);
    const err = await failure(sandbox.parseFeed('hello', 'feed.txt', { id: 'f', url: 'http://localhost/' }));
    expect(err.errorClass).toBe('not-a-feed');
    expect(err.message).toContain('feed.txt: not XML or JSON');
  });

  it('decodes a page given as bytes in its thread, by the content type, and takes the bytes over instead of copying them', async () => {
    sandbox = new Sandbox({ timeoutMs: 20_000, memoryMb: 256, threads: 1 });
    const sentence = 'Переговоры о прекращении огня продолжились в Женеве, сообщили дипломаты обеих сторон.';
    const html = `<html><body><article>${`<p>${sentence}</p>`.repeat(6)}</article></body></html>`;
    // A Buffer with an ArrayBuffer of its own, as a fetched page's is; windows-1251 as the header says.
    const encoded = iconv.encode(html, 'windows-1251');
    const bytes = Buffer.alloc(encoded.length);
    encoded.copy(bytes);
    const page = await sandbox.extract(bytes, { url: 'https://news.example/ru', siteRules: [], contentType: 'text/html; charset=windows-1251' });
    expect(page.text).toContain(sentence);
    expect(bytes.byteLength).toBe(0);
    // A slice of a larger buffer is copied: the rest of it stays the caller's.
    const shared = Buffer.concat([Buffer.from(ARTICLE), Buffer.from('rest')]);
    expect((await sandbox.extract(shared.subarray(0, ARTICLE.length), { siteRules: [] })).text).toContain('A paragraph');
    expect(shared.subarray(ARTICLE.length).toString()).toBe('rest');
  });

  it('decodes a feed given as bytes in its thread, by the content type, and takes the bytes over', async () => {
    sandbox = new Sandbox({ timeoutMs: 20_000, memoryMb: 256, threads: 1 });
    const title = 'Новини Києва';
    const encoded = iconv.encode(`<rss version="2.0"><channel><title>${title}</title><item><guid>1</guid><title>${title}: перемовини</title></item></channel></rss>`, 'koi8-u');
    const bytes = Buffer.alloc(encoded.length);
    encoded.copy(bytes);
    const feed = await sandbox.parseFeed(bytes, 'https://news.example/ua.xml', { id: 'ua', url: 'https://news.example/ua.xml' }, undefined, 'application/rss+xml; charset=KOI8-U');
    expect(feed.title).toBe(title);
    expect(feed.items.map((i) => i.title)).toEqual([`${title}: перемовини`]);
    expect(bytes.byteLength).toBe(0);
    // Without a content type, the sniffing rules: UTF-8 bytes read as UTF-8.
    const utf8 = await sandbox.parseFeed(Buffer.from(RSS.replace('First', title)), 'f.xml', { id: 'f', url: 'http://localhost/' });
    expect(utf8.items.map((i) => i.title)).toEqual([title]);
    // A large UTF-8 feed is decoded in pieces (charset.ts decodePieces) and reads as its text does.
    const items = Array.from({ length: 300 }, (_, i) => `<item><guid>${i}</guid><pubDate>Tue, 01 Dec 2026 10:00:00 GMT</pubDate><title>${title} ${i}</title><description>${'«перемовини» — '.repeat(20)}</description></item>`);
    const large = `<rss version="2.0"><channel><title>${title}</title>${items.join('')}</channel></rss>`;
    const ref = { id: 'l', url: 'http://localhost/' };
    expect(Buffer.byteLength(large)).toBeGreaterThan(200_000);
    expect(await sandbox.parseFeed(Buffer.from(large), 'l.xml', ref)).toEqual(await sandbox.parseFeed(large, 'l.xml', ref));
  });

  it('abandons a task over the time budget, names page and budget, and replaces the thread', async () => {
    sandbox = new Sandbox({ timeoutMs: 300, memoryMb: 1024, threads: 1 });
    const ticks: number[] = [];
    const clock = setInterval(() => ticks.push(Date.now()), 20);
    const err = await failure(sandbox.extract(HEAVY, { url: 'https://hostile.example/page', siteRules: [] }));
    clearInterval(clock);
    expect(err.errorClass).toBe('over-budget');
    expect(err.message).toMatch(/^https:\/\/hostile\.example\/page: page extraction did not finish within 300 ms .*parsing\.timeout in settings\.yaml/);
    // The main thread's timers kept running while the page was parsed.
    expect(ticks.length).toBeGreaterThan(5);
    // The one thread was replaced: the next page is extracted.
    expect((await sandbox.extract(ARTICLE, { siteRules: [] })).text).toContain('A paragraph');
  });

  it('does not count loading the extraction code and cheerio against the first page’s budget', async () => {
    // A fresh thread loads them for its first page (under tsx, compiling them: far over 300 ms);
    // the page itself takes a few milliseconds.
    sandbox = new Sandbox({ timeoutMs: 300, memoryMb: 1024, threads: 1 });
    expect((await sandbox.extract(ARTICLE, { siteRules: [] })).text).toContain('A paragraph');
  });

  it('starts the clock when a task runs, not while it waits for a thread', async () => {
    sandbox = new Sandbox({ timeoutMs: 1_500, memoryMb: 1024, threads: 1 });
    // Warm the thread up, so the budget below measures parsing only.
    await sandbox.extract(ARTICLE, { siteRules: [] });
    const hostile = failure(sandbox.extract(HEAVY, { url: 'https://hostile.example/page', siteRules: [] }));
    // Queued behind the hostile page for its whole budget, then given its own.
    const waiting = sandbox.extract(ARTICLE, { url: 'https://news.example/b', siteRules: [] });
    expect((await hostile).errorClass).toBe('over-budget');
    expect((await waiting).text).toContain('A paragraph');
  });

  it('abandons a task over the memory budget and replaces the thread', async () => {
    sandbox = new Sandbox({ timeoutMs: 120_000, memoryMb: 48, threads: 1 });
    const err = await failure(sandbox.extract(HEAVY, { url: 'https://hostile.example/big', siteRules: [] }));
    expect(err.errorClass).toBe('over-budget');
    expect(err.message).toMatch(/^https:\/\/hostile\.example\/big: page extraction needed more than 48 MB .*parsing\.memory in settings\.yaml/);
    expect((await sandbox.extract(ARTICLE, { siteRules: [] })).text).toContain('A paragraph');
  });
});
