// Specification of html-dom.ts: cheerio is loaded when feed HTML first needs it (withDom runs
// the work again once it is), so a parsing thread reads simple HTML without it and the rest to the
// same text as the main thread does. (test/setup/dom.ts loads it for this process's tests; what a
// parsing thread's start costs with and without it is measured, not tested: docs/performance.md.)

import { afterEach, describe, expect, it } from 'vitest';
import { DomNotLoaded, withDom } from '../../src/feeds/html-dom.js';
import { htmlToText, normaliseFeedItems } from '../../src/feeds/normalise.js';
import { parseFeed } from '../../src/feeds/parse.js';
import { Sandbox } from '../../src/sandbox/pool.js';

/** HTML that html-text.ts leaves to the DOM (a table), and HTML it reads alone. */
const COMPLEX = '<table><tr><td>Kyiv</td><td>ceasefire talks</td></tr></table><p>Talks <em>resumed</em>.</p>';
const SIMPLE = '<p>Talks <em>resumed</em> in Geneva.</p>';

const rss = (...descriptions: string[]) =>
  `<rss version="2.0"><channel><title>T</title>${descriptions
    .map((d, i) => `<item><guid>${i}</guid><title>Item ${i}</title><description><![CDATA[${d}]]></description></item>`)
    .join('')}</channel></rss>`;

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

describe('html-dom', () => {
  it('runs the work again, once, when it asked for cheerio before it was loaded', async () => {
    let calls = 0;
    const result = await withDom(() => {
      calls++;
      if (calls === 1) throw new DomNotLoaded();
      return htmlToText(COMPLEX);
    });
    expect([calls, result]).toEqual([2, 'Kyiv ceasefire talks Talks resumed.']);
  });

  it('gives withDom’s errors other than a missing cheerio back as they are', async () => {
    await expect(withDom(() => { throw new RangeError('bad'); })).rejects.toThrow(RangeError);
    expect(await withDom(() => 42)).toBe(42);
  });

  it('reads a feed in a parsing thread to the same items as the main thread, whatever its HTML needs', async () => {
    sandbox = new Sandbox({ timeoutMs: 20_000, memoryMb: 256, threads: 1 });
    const ref = { id: 'wire', url: 'https://news.example/feed.xml' };
    for (const text of [rss(SIMPLE, SIMPLE), rss(SIMPLE, COMPLEX, SIMPLE), rss(COMPLEX)]) {
      const inThread = await sandbox.parseFeed(text, ref.url, ref);
      const here = normaliseFeedItems(await parseFeed(text, ref.url), ref);
      expect(inThread.items.map((a) => [a.title, a.summary, a.content])).toEqual(here.items.map((a) => [a.title, a.summary, a.content]));
    }
    // And a page, whose extraction loads cheerio in the thread on its own.
    const page = await sandbox.extract(`<html><body><article>${'<p>A paragraph of the article, with commas, clauses, and enough words to count.</p>'.repeat(6)}</article>`, { siteRules: [] });
    expect(page.text).toContain('A paragraph of the article');
  });
});
