// Alerts as feeds: every subscription and every rule has an Atom feed and a JSON Feed of the
// stories it matched (newest 100, each once, with the matched words), at the private feedUrl
// the API hands out; a wrong token or a deleted owner gets 404.

import pino from 'pino';
import sax from 'sax';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { renderAtom } from '../../src/alerts/alert-feed.js';
import { ALERT_FEED_LENGTH, AlertFeedStore, type AlertFeedEntry, type FeedOwnerRef } from '../../src/alerts/alert-feed-store.js';
import { htmlToText } from '../../src/feeds/normalise.js';
import { parseFeed } from '../../src/feeds/parse.js';
import { createWebServer, listen } from '../../src/web/server.js';
import type { Pipeline } from '../../workers/index.js';
import { rss, type FeedItem } from '../helpers/feeds.js';
import { startHttpServer, type TestServer } from '../helpers/http.js';
import { pollAllAndDrain, testPipeline, writeConfig } from '../helpers/pipeline.js';

const TOKEN = 'feeds-test-token';
let http: TestServer;
let pipeline: Pipeline | undefined;
let close: (() => Promise<void>) | undefined;
const feeds = new Map<string, FeedItem[]>();

beforeAll(async () => {
  http = await startHttpServer();
  for (const name of ['wire', 'paper']) {
    http.route(`/${name}.xml`, (_req, res) => void res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss(feeds.get(name) ?? [], name)));
  }
});
afterEach(async () => {
  await close?.();
  close = undefined;
  await pipeline?.close();
  pipeline = undefined;
  feeds.clear();
});
afterAll(async () => {
  await http.close();
});

const LEAD = 'Ukrainian and Russian negotiators will meet in Istanbul next week to discuss a ceasefire, officials said on Friday, the first direct talks since spring.';

async function start() {
  const dir = await writeConfig({
    feeds: `feeds:\n  - { id: wire, title: Wire Service, url: "${http.url}/wire.xml" }\n  - { id: paper, title: Daily Paper, url: "${http.url}/paper.xml" }\n`,
    rules: "rules:\n  - { id: ceasefire, name: Ceasefire talks, query: '(ukraine OR kyiv) AND ceasefire' }\n",
    subscriptions: 'subscriptions: []\n',
  });
  const p = await testPipeline(dir);
  pipeline = p;
  p.ctx.settings = { ...p.ctx.settings, adminToken: TOKEN, http: { ...p.ctx.settings.http, port: 0 } };
  const app = createWebServer({ settings: p.ctx.settings, log: pino({ level: 'silent' }), ctx: p.ctx });
  const url = await listen(app, p.ctx.settings);
  p.ctx.settings.publicUrl = url;
  close = () => app.close();
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return (res.status === 204 ? {} : await res.json()) as Record<string, string>;
  };
  return { p, url, api };
}

/** Throws unless the text is well-formed XML (sax in strict mode). */
function wellFormed(xml: string): void {
  const parser = sax.parser(true);
  parser.onerror = (err) => {
    throw err;
  };
  parser.write(xml).close();
}

describe('alert feeds', () => {
  it('list the stories a subscription and a rule matched, newest first, each once, with the matched words', async () => {
    const { p, api } = await start();
    const sub = await api('POST', '/subscriptions', { email: 'reader@example.org', query: 'istanbul AND ceasefire', confirmed: true });
    await p.ctx.directory.caughtUp();
    p.runWorkers();
    feeds.set('wire', [{ guid: 'w1', title: 'Ukraine and Russia agree to resume ceasefire talks in Istanbul', link: `${http.url}/w/1`, description: LEAD }]);
    feeds.set('paper', [{ guid: 'p1', title: 'Russia, Ukraine to hold ceasefire talks in Istanbul', link: `${http.url}/w/1?utm_source=paper`, description: LEAD }]);
    // The wire first, so that its item is the story's first sighting (the one listed).
    await pollAllAndDrain(p, undefined, ['wire']);
    await pollAllAndDrain(p, undefined, ['paper']);
    feeds.set('wire', [
      { guid: 'w2', title: 'Kyiv says the ceasefire holds <b>overnight</b> & more', link: `${http.url}/w/2`, description: 'Ukraine reports a quiet night after the ceasefire.' },
      ...(feeds.get('wire') ?? []),
    ]);
    await pollAllAndDrain(p, undefined, ['wire']);

    const atom = await fetch(sub.feedUrl as string);
    expect(atom.status).toBe(200);
    expect(atom.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
    const xml = await atom.text();
    wellFormed(xml);
    const parsed = await parseFeed(xml, 'alert feed');
    expect(parsed.title).toBe('Newswatch alerts: istanbul AND ceasefire');
    // The copy through the paper is the same story: one entry.
    expect(parsed.items.map((i) => i.title)).toEqual(['Ukraine and Russia agree to resume ceasefire talks in Istanbul']);
    expect(parsed.items[0]?.link).toBe(`${http.url}/w/1`);
    expect(parsed.items[0]?.contentHtml).toContain('<mark>Istanbul</mark>');
    expect(parsed.items[0]?.categories).toEqual(['ceasefire', 'Istanbul']);

    const rules = (await api('GET', '/rules')) as unknown as { rules: { id: string; feedUrl: string; jsonFeedUrl: string }[] };
    const rule = rules.rules.find((r) => r.id === 'ceasefire');
    const ruleFeed = await parseFeed(await (await fetch(rule?.feedUrl ?? '')).text(), 'rule feed');
    // Titles are type="html" in Atom: read as text the way the poller reads them.
    expect(ruleFeed.items.map((i) => htmlToText(i.title))).toEqual(['Kyiv says the ceasefire holds overnight & more', 'Ukraine and Russia agree to resume ceasefire talks in Istanbul']);

    const json = (await (await fetch(rule?.jsonFeedUrl ?? '')).json()) as { title: string; items: { title: string; url: string; _newswatch: { matchedWords: string[]; rules: string[] } }[] };
    expect(json.title).toBe('Newswatch rule: Ceasefire talks');
    expect(json.items[0]).toMatchObject({ title: 'Kyiv says the ceasefire holds overnight & more', url: `${http.url}/w/2` });
    expect(json.items[0]?._newswatch).toEqual({ matchedWords: ['Kyiv', 'ceasefire', 'Ukraine'], rules: ['Ceasefire talks'], source: 'Wire Service' });
  });

  it('answer 404 to a wrong token, another owner\'s token and a deleted subscription, and drop its stories', async () => {
    const { p, url, api } = await start();
    const sub = await api('POST', '/subscriptions', { email: 'reader@example.org', query: 'ceasefire', confirmed: true });
    const token = new URL(sub.feedUrl as string).searchParams.get('token') ?? '';
    expect((await fetch(sub.feedUrl as string)).status).toBe(200);
    expect((await fetch(`${url}/feeds/subscriptions/${sub.id}/atom.xml?token=${token.slice(1)}x`)).status).toBe(404);
    expect((await fetch(`${url}/feeds/subscriptions/${sub.id}/atom.xml`)).status).toBe(404);
    expect((await fetch(`${url}/feeds/rules/${sub.id}/atom.xml?token=${token}`)).status).toBe(404);
    const store = new AlertFeedStore(p.ctx.redis, p.ctx.keys);
    await store.add([{ owner: { kind: 'subscription', id: sub.id as string }, entry: entry(1) }]);
    await api('DELETE', `/subscriptions/${sub.id}`);
    expect((await fetch(sub.feedUrl as string)).status).toBe(404);
    expect(await store.list({ kind: 'subscription', id: sub.id as string })).toEqual([]);
  });

  it(`keep the newest ${ALERT_FEED_LENGTH} stories and expire with their owner's last match`, async () => {
    const { p } = await start();
    const store = new AlertFeedStore(p.ctx.redis, p.ctx.keys);
    const owner = { kind: 'rule' as const, id: 'busy' };
    for (let i = 0; i < ALERT_FEED_LENGTH + 5; i++) await store.add([{ owner, entry: entry(i) }]);
    const listed = await store.list(owner);
    expect(listed).toHaveLength(ALERT_FEED_LENGTH);
    expect([listed[0]?.storyId, listed.at(-1)?.storyId]).toEqual([`st${ALERT_FEED_LENGTH + 4}`, 'st5']);
    expect(await p.ctx.redis.hlen(p.ctx.keys.alertFeedEntries('rule', 'busy'))).toBe(ALERT_FEED_LENGTH);
    expect(await p.ctx.redis.pttl(p.ctx.keys.alertFeedOrder('rule', 'busy'))).toBeGreaterThan(29 * 86_400_000);
  });

  it(`keep the newest ${ALERT_FEED_LENGTH} stories when one batch brings more, each story's first entry, each owner's own`, async () => {
    const { p } = await start();
    const store = new AlertFeedStore(p.ctx.redis, p.ctx.keys);
    const busy: FeedOwnerRef = { kind: 'rule', id: 'busy' };
    const other: FeedOwnerRef = { kind: 'subscription', id: 's-other' };
    const batch = Array.from({ length: ALERT_FEED_LENGTH + 5 }, (_, i) => ({ owner: busy, entry: entry(i) }));
    batch.splice(50, 0, { owner: other, entry: entry(7) });
    batch.push({ owner: busy, entry: { ...entry(ALERT_FEED_LENGTH + 4), title: 'A later copy' } });
    await store.add(batch);
    const listed = await store.list(busy);
    expect(listed).toHaveLength(ALERT_FEED_LENGTH);
    expect([listed[0]?.storyId, listed[0]?.title, listed.at(-1)?.storyId]).toEqual([`st${ALERT_FEED_LENGTH + 4}`, `Story ${ALERT_FEED_LENGTH + 4}`, 'st5']);
    expect(await p.ctx.redis.hlen(p.ctx.keys.alertFeedEntries('rule', 'busy'))).toBe(ALERT_FEED_LENGTH);
    expect((await store.list(other)).map((e) => e.storyId)).toEqual(['st7']);
  });

  it('stay well-formed XML when an article carries characters XML cannot hold', () => {
    const xml = renderAtom({ title: 'Rule: x\u0001', id: 'urn:x', atomUrl: 'http://h/a', jsonUrl: 'http://h/j', home: 'http://h' }, [
      { ...entry(1), title: 'Bell\u0007 and \uffff and </title><script>', summary: 'lone \ud800 surrogate', words: ['Bell'] },
    ]);
    wellFormed(xml);
    expect(xml).toContain('Bell and  and &lt;/title&gt;&lt;script&gt;');
    for (const bad of ['\u0001', '\u0007', '\uffff', '\ud800']) expect(xml).not.toContain(bad);
  });
});

function entry(i: number): AlertFeedEntry {
  return { storyId: `st${i}`, title: `Story ${i}`, url: `http://example.org/${i}`, source: 'Wire', matchedAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(), rules: ['R'], words: [] };
}
