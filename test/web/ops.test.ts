// /healthz, /readyz and /metrics as `start` serves them, on a real pipeline: the run's Redis, a
// feed over HTTP, a real SMTP server. Metrics are read back in Prometheus text format.

import { readFile } from 'node:fs/promises';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUES } from '../../src/queue/jobs.js';
import { registerOpsRoutes } from '../../src/web/ops.js';
import type { Pipeline } from '../../workers/index.js';
import { rss } from '../helpers/feeds.js';
import { serve, startHttpServer, type TestServer } from '../helpers/http.js';
import { pollAllAndDrain, testPipeline, writeConfig } from '../helpers/pipeline.js';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp.js';

const ALL = Object.values(QUEUES);

function opsApp(pipeline: Pipeline, queues = ALL) {
  const app = Fastify();
  registerOpsRoutes(app, { pipeline, queues });
  return app;
}

/** The value of one sample line (`name{labels} value`) of a Prometheus exposition. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('operations endpoints', () => {
  let http: TestServer;
  let smtp: TestSmtp;
  let pipeline: Pipeline;

  beforeAll(async () => {
    http = await startHttpServer();
    smtp = await startSmtpServer();
    const items = ['harbour cranes idle', 'railway bridge repairs', 'farmers harvest wheat'].map((topic, i) => ({
      guid: `s-${i}`,
      title: `Ceasefire ${i}: ${topic}`,
      link: `http://example.invalid/s-${i}`,
      description: `In Ukraine, ${topic} despite the ceasefire.`,
    }));
    http.route('/wire.xml', serve(rss(items), 'application/rss+xml'));
    http.route('/broken.xml', serve('internal error', 'text/plain', 500));
    const dir = await writeConfig({
      feeds: `feeds:\n  - { id: wire, url: "${http.url}/wire.xml" }\n  - { id: broken, url: "${http.url}/broken.xml" }\n`,
      rules: "rules:\n  - { id: ceasefire, query: 'ukraine AND ceasefire' }\n  - { id: quiet, query: 'volcano' }\n",
      subscriptions: 'subscriptions:\n  - { id: desk, email: desk@example.org, rules: [ceasefire] }\n',
    });
    pipeline = await testPipeline(dir, { smtpUrl: smtp.url });
    pipeline.runWorkers();
  });

  afterAll(async () => {
    await pipeline.close();
    await smtp.close();
    await http.close();
  });

  it('answers /healthz and /readyz with 200 while Redis answers and every worker runs', async () => {
    const app = opsApp(pipeline);
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready' });
  });

  it('answers /readyz with 503 naming a worker this process should run but does not', async () => {
    // A process whose roles include a queue it has no worker for (here: a pipeline without workers).
    const dir = await writeConfig({ feeds: 'feeds: []\n', rules: 'rules: []\n', subscriptions: 'subscriptions: []\n' });
    const idle = await testPipeline(dir);
    try {
      const res = await opsApp(idle, ['article']).inject('/readyz');
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'not ready', problems: ['the article worker is not running'] });
      // Without workers to run, the same process is ready.
      expect((await opsApp(idle, []).inject('/readyz')).statusCode).toBe(200);
    } finally {
      await idle.close();
    }
  });

  it('answers /readyz with 503 when Redis does not answer', async () => {
    // A port nothing listens on (an HTTP server's, closed).
    const gone = await startHttpServer();
    const port = new URL(gone.url).port;
    await gone.close();
    const cut = new Redis(`redis://127.0.0.1:${port}`, { lazyConnect: true, retryStrategy: () => 200 });
    cut.on('error', () => undefined);
    try {
      const res = await opsApp({ ...pipeline, ctx: { ...pipeline.ctx, redis: cut } }).inject('/readyz');
      expect(res.statusCode).toBe(503);
      expect(res.json().problems).toHaveLength(1);
      expect(res.json().problems[0]).toMatch(/^Redis does not answer \(.*\); check REDIS_URL and the Redis server$/);
    } finally {
      cut.disconnect();
    }
  });

  it('exports polls, items, matches, deliveries, latency, queues and the rule index at /metrics', async () => {
    await pollAllAndDrain(pipeline, 90_000);
    const res = await opsApp(pipeline).inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    const text = res.body;
    expect(sample(text, 'newswatch_polls_total{outcome="new_items"}')).toBe(1);
    expect(sample(text, 'newswatch_polls_total{outcome="http"}')).toBe(1);
    expect(sample(text, 'newswatch_fetch_duration_seconds_count{kind="feed"}')).toBe(2);
    expect(sample(text, 'newswatch_items_seen_total')).toBe(3);
    expect(sample(text, 'newswatch_items_new_total')).toBe(3);
    expect(sample(text, 'newswatch_articles_processed_total')).toBe(3);
    expect(sample(text, 'newswatch_rule_matches_total{rule="ceasefire"}')).toBe(3);
    expect(sample(text, 'newswatch_deliveries_total{kind="alert",channel="email",outcome="sent"}')).toBe(3);
    expect(smtp.messages).toHaveLength(3);
    expect(sample(text, 'newswatch_alert_latency_seconds_count')).toBe(3);
    expect(sample(text, 'newswatch_queue_jobs{queue="deliver",state="waiting"}')).toBe(0);
    expect(sample(text, 'newswatch_queue_oldest_waiting_seconds{queue="article"}')).toBe(0);
    // Two rules and the subscription's none: the index holds the configured rules.
    expect(sample(text, 'newswatch_rule_index_rules')).toBe(2);
    expect(sample(text, 'newswatch_rule_index_build_seconds')).toBeGreaterThanOrEqual(0);
    expect(text).toContain('newswatch_process_cpu_user_seconds_total');
    expect(text).toContain('newswatch_nodejs_heap_size_used_bytes');

    // The Grafana dashboard asks only for metrics that exist.
    const dashboard = await readFile('docs/grafana-dashboard.json', 'utf8');
    const used = new Set([...dashboard.matchAll(/newswatch_[a-z0-9_]+/g)].map(([name]) => name.replace(/_(bucket|count|sum)$/, '')));
    expect(used.size).toBeGreaterThan(10);
    for (const name of used) expect(text, name).toContain(`# TYPE ${name} `);
  }, 120_000);
});
