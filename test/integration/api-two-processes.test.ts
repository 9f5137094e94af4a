// End to end across OS processes: a subscription created through the API in this process is
// used by the worker of a separate `newswatch start` process within a second of the API's
// answer (its alert reaches a webhook receiver), and once deleted through the API it gets
// nothing more. Both processes share only Redis.

import { Queue } from 'bullmq';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AlertFeedStore } from '../../src/alerts/alert-feed-store.js';
import { createWebServer, listen } from '../../src/web/server.js';
import { spawnCli, waitFor } from '../helpers/cli.js';
import { rss, type FeedItem } from '../helpers/feeds.js';
import { startHttpServer, type TestServer } from '../helpers/http.js';
import { testPipeline, writeConfig } from '../helpers/pipeline.js';

const TOKEN = 'two-processes-token';
/** The contract: a change made through the API is in use in every process within 1 s. */
const PROPAGATION_MS = 1_000;

let http: TestServer;
let items: FeedItem[] = [];

beforeAll(async () => {
  http = await startHttpServer();
  http.route('/wire.xml', (_req, res) => void res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss(items, 'wire')));
  http.route('/hook', (_req, res) => void res.writeHead(204).end());
});
afterAll(async () => {
  await http.close();
});

const hooks = () => http.requests.filter((r) => r.path === '/hook');

describe('a subscription made through the API, used by another process', () => {
  it('is matched by the other process\'s worker within a second, and a DELETE stops it', { timeout: 300_000 }, async () => {
    const dir = await writeConfig({
      feeds: `feeds:\n  - { id: wire, title: Wire Service, url: "${http.url}/wire.xml", interval: 1h }\n`,
      rules: "rules:\n  - { id: ceasefire, name: Ceasefire talks, query: '(ukraine OR kyiv) AND ceasefire' }\n",
      subscriptions: 'subscriptions: []\n',
      // The receiver is on 127.0.0.1, which API-made webhooks may reach as the feeds' host.
    });
    // This process: the API only (no workers).
    const p = await testPipeline(dir);
    p.ctx.settings = { ...p.ctx.settings, adminToken: TOKEN, http: { ...p.ctx.settings.http, port: 0 } };
    const app = createWebServer({ settings: p.ctx.settings, log: pino({ level: 'silent' }), ctx: p.ctx });
    const url = await listen(app, p.ctx.settings);
    const { prefix } = p.ctx.settings;
    const poll = new Queue('poll', { connection: p.ctx.redis, prefix });
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`${url}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
    let pollRun = 0;
    const pollNow = () => poll.add('poll', { feedId: 'wire' }, { jobId: `test-poll-${++pollRun}` });
    const others = ['article', 'deliver'].map((name) => new Queue(name, { connection: p.ctx.redis, prefix }));
    // Nothing waiting, running or retrying (the feed scheduler's next run is not work).
    const idle = async () => {
      for (const q of [poll, ...others]) {
        const counts = await q.getJobCounts('waiting', 'active', 'prioritized');
        const retries = (await q.getDelayed()).filter((job) => !job.repeatJobKey).length;
        if (retries + Object.values(counts).reduce((a, b) => a + b, 0) > 0) return false;
      }
      return true;
    };
    const ruleFeed = () => new AlertFeedStore(p.ctx.redis, p.ctx.keys).list({ kind: 'rule', id: 'ceasefire' });

    // The other process: `newswatch start` with its workers, on the same Redis and prefix.
    const worker = spawnCli(['start', '--config', dir], { REDIS_URL: inject('redisUrl'), NEWSWATCH_PREFIX: prefix, LOG_LEVEL: 'info' });
    try {
      await waitFor(() => worker.stderr().includes('"msg":"newswatch started"'), 180_000, 'the worker process to start');
      // Its first poll of the (empty) feed is done before anything is published.
      await waitFor(idle, 60_000, 'the first poll to finish');

      const created = await api('POST', '/subscriptions', { webhook: { url: `${http.url}/hook` }, rules: ['ceasefire'], confirmed: true });
      expect(created.status).toBe(201);
      const sub = (await created.json()) as { id: string; status: string };
      expect(sub.status).toBe('active');
      await new Promise((r) => setTimeout(r, PROPAGATION_MS));
      items = [{ guid: 'w1', title: 'Kyiv says the ceasefire holds', link: `${http.url}/w/1`, description: 'Ukraine reports a quiet night.' }];
      await pollNow();
      await waitFor(() => hooks().length > 0, 60_000, 'the alert at the webhook receiver');
      expect(JSON.parse(hooks()[0]?.body ?? '{}')).toMatchObject({ subscription: sub.id, article: { title: 'Kyiv says the ceasefire holds' } });

      expect((await api('DELETE', `/subscriptions/${sub.id}`)).status).toBe(204);
      await new Promise((r) => setTimeout(r, PROPAGATION_MS));
      items = [{ guid: 'w2', title: 'Ukraine and Russia extend the ceasefire by a month', link: `${http.url}/w/2`, description: 'Kyiv welcomed the extension.' }, ...items];
      await pollNow();
      // The worker matched the new story (the YAML rule's alert feed lists it) and finished.
      await waitFor(async () => (await ruleFeed()).length === 2 && (await idle()), 60_000, 'the second story to be processed');
      expect(hooks()).toHaveLength(1);
    } finally {
      worker.child.kill('SIGTERM');
      await worker.done;
      await Promise.all([poll, ...others].map((q) => q.close()));
      await app.close();
      await p.close();
    }
  });
});
