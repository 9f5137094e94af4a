// Roles across processes: `newswatch start --only …` in three OS processes against one Redis —
// web+poll, article, deliver+digest — started one after another, so each stage's work is seen
// waiting for the process that owns it; every expected alert then arrives exactly once.

import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isArticleBatch, QUEUES, type ArticleQueueData, type DeliverJobData, type QueueName } from '../../src/queue/jobs.js';
import { RedisKeys } from '../../src/queue/keys.js';
import { runCli, spawnCli, waitFor } from '../helpers/cli.js';
import { rss, type FeedItem } from '../helpers/feeds.js';
import { startHttpServer, type TestServer } from '../helpers/http.js';
import { uniquePrefix, writeConfig } from '../helpers/pipeline.js';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp.js';

const TOPICS = ['harbour cranes idle dockers strike', 'railway bridge repairs engineers', 'school reopening teachers heating', 'hospital generators diesel supply', 'farmers harvest wheat exports', 'prisoner exchange families reunited'];

describe('newswatch start --only ROLES', () => {
  let http: TestServer;
  let smtp: TestSmtp;

  beforeAll(async () => {
    http = await startHttpServer();
    smtp = await startSmtpServer();
    const items: FeedItem[] = TOPICS.map((topic, i) => ({
      guid: `story-${i}`,
      title: `Ceasefire watch ${i}: ${topic}`,
      link: `http://example.invalid/story-${i}`,
      description: `In Ukraine, ${topic} despite the ceasefire; report number ${i}.`,
    }));
    http.route('/wire.xml', (_req, res) => void res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss(items)));
  });

  afterAll(async () => {
    await smtp.close();
    await http.close();
  });

  it('rejects an unknown role with the list of roles', async () => {
    const run = await runCli(['start', '--only', 'web,pol'], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown role "pol"');
    expect(run.stderr).toContain('web, poll, article, deliver, digest');
  });

  it('splits the pipeline over three processes and delivers every alert exactly once', async () => {
    const dir = await writeConfig({
      feeds: `feeds:\n  - { id: wire, url: "${http.url}/wire.xml", interval: 1h }\n`,
      rules: "rules:\n  - id: ceasefire\n    name: Ceasefire\n    query: 'ukraine AND ceasefire'\n",
      subscriptions: 'subscriptions:\n  - { id: desk, email: desk@example.org, rules: [ceasefire] }\n',
    });
    const prefix = uniquePrefix();
    const env = { REDIS_URL: inject('redisUrl'), NEWSWATCH_PREFIX: prefix, SMTP_URL: smtp.url, LOG_LEVEL: 'info' };
    const keys = new RedisKeys(prefix, false);
    const queue = <T>(name: QueueName) => new Queue<T>(keys.queue(name), { connection: { url: inject('redisUrl') }, prefix });
    const articles = queue<ArticleQueueData>(QUEUES.article);
    const deliveries = queue<DeliverJobData>(QUEUES.deliver);
    // The feed has no page fetch: its new items wait as one batch job.
    // The subscription's alerts of that batch wait as one delivery job.
    const alertsWaiting = async () => (await deliveries.getWaiting()).reduce((n, job) => n + (job.data.kind === 'alerts' ? job.data.items.length : 1), 0);
    const articlesWaiting = async () => (await articles.getWaiting()).reduce((n, job) => n + (isArticleBatch(job.data) ? job.data.articles.length : 1), 0);
    const processes = [spawnCli(['start', '--config', dir, '--only', 'web,poll'], env)];
    try {
      await waitFor(async () => (await articlesWaiting()) === TOPICS.length, 90_000, 'the poll process to queue every article');
      processes.push(spawnCli(['start', '--config', dir, '--only', 'article'], env));
      await waitFor(async () => (await alertsWaiting()) === TOPICS.length, 90_000, 'the article process to queue every alert');
      expect(smtp.messages).toHaveLength(0);
      processes.push(spawnCli(['start', '--config', dir, '--only', 'deliver,digest'], env));
      await waitFor(() => smtp.messages.length >= TOPICS.length, 90_000, 'every alert');
      // Give a duplicate, if there were one, the time to arrive.
      await new Promise((r) => setTimeout(r, 1_000));
      // Each process is ready with the workers of its own roles.
      for (const p of processes) {
        const line = JSON.parse(p.stderr().split('\n').find((l) => l.includes('newswatch started')) ?? '{}') as { web?: string; ops?: string };
        const ready = await fetch(`${line.web ?? line.ops}/readyz`);
        expect(await ready.json()).toEqual({ status: 'ready' });
      }
    } finally {
      for (const p of processes) p.child.kill('SIGTERM');
      await Promise.all(processes.map((p) => p.done));
      await articles.close();
      await deliveries.close();
    }
    const subjects = smtp.messages.map((m) => m.subject).sort();
    expect(subjects).toEqual(TOPICS.map((t, i) => `Ceasefire: Ceasefire watch ${i}: ${t}`).sort());
    // The web role serves the site; the others only the operations endpoints.
    const started = processes.map((p) => JSON.parse(p.stderr().split('\n').find((l) => l.includes('newswatch started')) ?? '{}') as Record<string, unknown>);
    expect(started.map((line) => ['web', 'ops'].filter((k) => k in line))).toEqual([['web'], ['ops'], ['ops']]);
  }, 300_000);
});
