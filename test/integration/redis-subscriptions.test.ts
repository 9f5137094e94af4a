// Subscriptions created at run time (kept in Redis) behave exactly as those in
// subscriptions.yaml: matching, one alert per story, digests on their schedule, exactly-once
// delivery, failed/retry, 410 Gone — and a paused or deleted one receives nothing more.

import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { SubscriptionStore, type StoredSubscription } from '../../src/alerts/subscription-store.js';
import { SubscriptionState } from '../../src/alerts/subscriptions.js';
import { retryCommand } from '../../src/cli/failed.js';
import { exportCommand, subscriptionsCommand } from '../../src/cli/subscriptions.js';
import { loadConfigOrThrow } from '../../src/config/load.js';
import { digestSchedulerId } from '../../src/queue/jobs.js';
import { scheduleDigest, type Pipeline } from '../../workers/index.js';
import { runCli } from '../helpers/cli.js';
import { rss, type FeedItem } from '../helpers/feeds.js';
import { serve, startHttpServer, type TestServer } from '../helpers/http.js';
import { drain, pollAllAndDrain, testPipeline, writeConfig } from '../helpers/pipeline.js';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp.js';

let http: TestServer;
let smtp: TestSmtp;
let pipeline: Pipeline | undefined;
const feeds = new Map<string, FeedItem[]>();

beforeAll(async () => {
  http = await startHttpServer();
  smtp = await startSmtpServer();
  for (const name of ['wire', 'paper']) {
    http.route(`/${name}.xml`, (_req, res) => void res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss(feeds.get(name) ?? [], name)));
  }
});
afterEach(async () => {
  await pipeline?.close();
  pipeline = undefined;
  smtp.messages.length = 0;
  http.requests.length = 0;
  feeds.clear();
});
afterAll(async () => {
  await smtp.close();
  await http.close();
});

const LEAD =
  'Ukrainian and Russian negotiators will meet in Istanbul next week to discuss a ceasefire, officials said on Friday, the first direct talks since the spring.';

async function start(settings = {}): Promise<{ p: Pipeline; add: (sub: Partial<StoredSubscription> & { id: string }) => Promise<StoredSubscription> }> {
  const dir = await writeConfig({
    feeds: `feeds:\n  - { id: wire, title: Wire Service, url: "${http.url}/wire.xml" }\n  - { id: paper, title: Daily Paper, url: "${http.url}/paper.xml" }\n`,
    rules: "rules:\n  - { id: ceasefire, name: Ceasefire talks, query: '(ukraine OR kyiv) AND ceasefire' }\n",
    subscriptions: 'subscriptions:\n  - { id: desk, email: desk@example.org, rules: [ceasefire] }\n',
  });
  const p = await testPipeline(dir, { smtpUrl: smtp.url, settings });
  pipeline = p;
  const store = new SubscriptionStore(p.ctx.redis, p.ctx.keys);
  const add = async (fields: Partial<StoredSubscription> & { id: string }) => {
    const sub: StoredSubscription = { rules: [], delivery: 'immediate', timezone: 'UTC', maxPerDigest: 50, paused: false, createdAt: new Date().toISOString(), origin: 'api', ...fields };
    await store.write(sub.id, undefined, sub);
    await p.ctx.directory.caughtUp();
    return sub;
  };
  return { p, add };
}

const to = (addr: string) => smtp.messages.filter((m) => (m.to && 'text' in m.to ? m.to.text : '') === addr);

describe('subscriptions kept in Redis', () => {
  it('get one alert per story, beside the YAML subscription, across copies and repeated polls', async () => {
    const { p, add } = await start();
    await add({ id: 's-reader', email: 'reader@example.org', keywords: 'istanbul ceasefire' });
    p.runWorkers();
    feeds.set('wire', [{ guid: 'w1', title: 'Ukraine and Russia agree to resume ceasefire talks in Istanbul', link: `${http.url}/w/1`, description: LEAD }]);
    feeds.set('paper', [{ guid: 'p1', title: 'Russia, Ukraine to hold ceasefire talks in Istanbul', link: `${http.url}/w/1?utm_source=paper`, description: LEAD }]);
    await pollAllAndDrain(p);
    await pollAllAndDrain(p);
    expect(to('desk@example.org')).toHaveLength(1);
    expect(to('reader@example.org')).toHaveLength(1);
    expect(to('reader@example.org')[0]?.subject).toMatch(/^Keywords: istanbul ceasefire: /);
    expect(to('reader@example.org')[0]?.headerLines.find((h) => h.key === 'list-unsubscribe')?.line).toMatch(/s=s-reader/);
  });

  it('get their digest from a scheduler of their own, created at start and at run time, removed with them', async () => {
    const { p, add } = await start();
    const early = await add({ id: 's-early', email: 'early@example.org', rules: ['ceasefire'], delivery: 'digest', digest: { cron: '0 7 * * *' } });
    await p.syncSchedulers();
    expect((await p.ctx.queues.digest.getJobScheduler(digestSchedulerId(early.id)))?.pattern).toBe('0 7 * * *');
    const late = await add({ id: 's-late', email: 'late@example.org', keywords: 'ceasefire', delivery: 'digest', digest: 'weekly', timezone: 'Europe/Kyiv' });
    await scheduleDigest(p.ctx.queues.digest, late);
    expect(await p.ctx.queues.digest.getJobScheduler(digestSchedulerId(late.id))).toMatchObject({ pattern: '0 8 * * 1', tz: 'Europe/Kyiv' });

    p.runWorkers();
    feeds.set('wire', [{ guid: 'w1', title: 'Kyiv says the ceasefire holds', link: `${http.url}/w/1`, description: 'Ukraine reports a quiet night.' }]);
    await pollAllAndDrain(p);
    expect(to('early@example.org')).toHaveLength(0);
    for (const job of await p.ctx.queues.digest.getDelayed()) if (job.data.subscriptionId === early.id) await job.promote();
    await drain(p);
    expect(to('early@example.org').map((m) => m.subject)).toEqual(['Newswatch digest: 1 story — Ceasefire talks']);

    await scheduleDigest(p.ctx.queues.digest, undefined, early.id);
    expect(await p.ctx.queues.digest.getJobScheduler(digestSchedulerId(early.id))).toBeUndefined();
  });

  it('are disabled by a 410 Gone webhook, and an exhausted delivery is kept as failed and re-driven by retry', async () => {
    let up = false;
    http.route('/gone', serve('gone', 'text/plain', 410));
    http.route('/flaky', (_req, res) => void res.writeHead(up ? 200 : 503).end());
    const { p, add } = await start({ deliverAttempts: 2 });
    await add({ id: 's-gone', webhook: { url: `${http.url}/gone`, format: 'standard' }, rules: ['ceasefire'] });
    await add({ id: 's-flaky', webhook: { url: `${http.url}/flaky`, format: 'standard' }, rules: ['ceasefire'] });
    p.runWorkers();
    feeds.set('wire', [{ guid: 'w1', title: 'Kyiv says the ceasefire holds', link: `${http.url}/w/1`, description: 'Ukraine reports a quiet night.' }]);
    await pollAllAndDrain(p);
    expect((await new SubscriptionState(p.ctx.redis, p.ctx.keys).disabled()).get('s-gone')).toContain('410 Gone');
    const failed = await p.ctx.queues.deliver.getFailed();
    expect(failed.map((j) => j.data.subscriptionId)).toEqual(['s-flaky']);

    up = true;
    const sink = { write: () => true } as unknown as NodeJS.WritableStream;
    const env = { REDIS_URL: inject('redisUrl'), NEWSWATCH_PREFIX: p.ctx.settings.prefix };
    expect(await retryCommand({ configDir: p.ctx.config.dir, dataDir: p.ctx.config.dir }, env, pino({ level: 'silent' }), undefined, true, sink)).toBe(0);
    await drain(p);
    expect(http.requests.filter((r) => r.path === '/flaky' && r.method === 'POST')).toHaveLength(3);
    expect(await p.ctx.queues.deliver.getFailedCount()).toBe(0);
    // Finished deliveries leave Redis (removeOnComplete), so what arrived is read at the receivers.
    expect(http.requests.filter((r) => r.path === '/gone' && r.method === 'POST')).toHaveLength(1);
    expect(to('desk@example.org')).toHaveLength(1);
    expect(await p.ctx.queues.deliver.getWaitingCount()).toBe(0);
  });

  it('receive nothing while paused, and nothing once deleted, not even an alert queued before', async () => {
    const { p, add } = await start();
    const store = new SubscriptionStore(p.ctx.redis, p.ctx.keys);
    const paused = await add({ id: 's-paused', email: 'paused@example.org', rules: ['ceasefire'], paused: true });
    const leaving = await add({ id: 's-leaving', email: 'leaving@example.org', rules: ['ceasefire'] });
    // Match and queue without delivering, then delete, then let delivery run.
    feeds.set('wire', [{ guid: 'w1', title: 'Kyiv says the ceasefire holds', link: `${http.url}/w/1`, description: 'Ukraine reports a quiet night.' }]);
    const { processPoll } = await import('../../workers/poll.js');
    const { processArticle } = await import('../../workers/article.js');
    const polled = await processPoll({ data: { feedId: 'wire' } } as never, p.ctx);
    expect(polled.status).toBe('ok');
    for (const job of await p.ctx.queues.article.getWaiting()) await processArticle(job, p.ctx);
    const queuedFor = (await p.ctx.queues.deliver.getWaiting()).map((j) => j.data.subscriptionId).sort();
    expect(queuedFor).toEqual(['desk', 's-leaving']);
    await store.write(leaving.id, leaving, undefined);
    await p.ctx.directory.caughtUp();
    p.runWorkers();
    await drain(p);
    expect(smtp.messages.map((m) => (m.to && 'text' in m.to ? m.to.text : ''))).toEqual(['desk@example.org']);
    expect(paused.paused).toBe(true);
  });
});

describe('newswatch subscriptions and newswatch export', () => {
  it('lists YAML, Redis and pending subscriptions, and exports the Redis ones into a config directory validate accepts', async () => {
    const { p, add } = await start();
    await add({ id: 's-reader', email: 'reader@example.org', keywords: 'grain AND "black sea"', delivery: 'digest', digest: { cron: '30 7 * * 1' }, timezone: 'Europe/Kyiv', createdAt: '2026-02-01T00:00:00.000Z', confirmedAt: '2026-02-02T00:00:00.000Z', origin: 'web' });
    await add({ id: 's-hook', webhook: { url: 'https://hooks.example.org/in', secret: 'whsec_c2VjcmV0', format: 'standard' }, rules: ['ceasefire'], paused: true });
    const store = new SubscriptionStore(p.ctx.redis, p.ctx.keys);
    await store.writeRule('grain', undefined, { id: 'grain', name: 'Grain', query: 'grain AND odesa', public: true, createdAt: '2026-02-01T00:00:00.000Z' });
    await store.createPending({ id: 's-wait', email: 'wait@example.org', rules: ['grain'], delivery: 'immediate', timezone: 'UTC', maxPerDigest: 50, paused: false, createdAt: '2026-02-03T00:00:00.000Z', origin: 'web' }, 60_000, 10);
    const env = { REDIS_URL: inject('redisUrl'), NEWSWATCH_PREFIX: p.ctx.settings.prefix };
    const opts = { configDir: p.ctx.config.dir, dataDir: p.ctx.config.dir };
    const log = pino({ level: 'silent' });
    const capture = () => {
      const out: string[] = [];
      return { out, sink: { write: (s: string) => out.push(s) } as unknown as NodeJS.WritableStream };
    };

    const table = capture();
    expect(await subscriptionsCommand(opts, env, log, false, table.sink)).toBe(0);
    const lines = table.out.join('').split('\n');
    expect(lines[0]).toMatch(/^ID\s+SOURCE\s+STATUS\s+TO\s+LISTENS TO\s+SENT$/);
    expect(lines.find((l) => l.startsWith('desk'))).toMatch(/desk\s+yaml\s+active\s+desk@example.org\s+ceasefire\s+immediately/);
    expect(lines.find((l) => l.startsWith('s-reader'))).toMatch(/redis\s+active\s+reader@example.org\s+"grain AND "black sea""\s+weekly on monday at 07:30 \(Europe\/Kyiv\)/);
    expect(lines.find((l) => l.startsWith('s-hook'))).toMatch(/redis\s+paused\s+https:\/\/hooks.example.org\/in/);
    expect(lines.find((l) => l.startsWith('s-wait'))).toMatch(/redis\s+pending\s+wait@example.org\s+grain/);
    const json = capture();
    await subscriptionsCommand(opts, env, log, true, json.sink);
    expect(json.out.join('').trim().split('\n').map((l) => JSON.parse(l).id)).toEqual(['desk', 's-reader', 's-hook', 's-wait']);

    const out = join(await mkdtemp(join(tmpdir(), 'newswatch-export-')), 'backup');
    expect(await exportCommand(opts, env, log, out, capture().sink)).toBe(0);
    const validated = await runCli(['validate', '--config', out], {});
    expect(validated.stderr).toBe('');
    expect(validated.code).toBe(0);
    expect(validated.stdout).toContain('2 rule(s), 3 subscription(s)');
    const subsYaml = await readFile(join(out, 'subscriptions.yaml'), 'utf8');
    expect(subsYaml).toContain('# created');
    expect(subsYaml).toContain('confirmed 2026-02-02T00:00:00.000Z through the web');
    expect(subsYaml).toContain('secret: whsec_c2VjcmV0');
    expect(subsYaml).not.toContain('s-wait');
    expect(await readFile(join(out, 'feeds.yaml'), 'utf8')).toBe(await readFile(join(p.ctx.config.dir, 'feeds.yaml'), 'utf8'));
    // Run from the backup, the exported entries are the same subscriptions again.
    const config = await loadConfigOrThrow(out, {});
    expect(config.subscriptions.find((s) => s.id === 's-reader')).toMatchObject({ keywords: 'grain AND "black sea"', digest: { cron: '30 7 * * 1' }, timezone: 'Europe/Kyiv' });
    expect(config.subscriptions.find((s) => s.id === 's-hook')).toMatchObject({ paused: true, rules: ['ceasefire'] });
    expect(config.rules.find((r) => r.id === 'grain')).toMatchObject({ public: true, query: 'grain AND odesa' });
    // A second export refuses to overwrite.
    await expect(exportCommand(opts, env, log, out, capture().sink)).rejects.toThrow(/already holds YAML files/);
  });
});
