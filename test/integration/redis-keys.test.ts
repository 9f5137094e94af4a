// The Redis side of a full pipeline run (feed → story dedup → immediate alert and digest):
// every key it leaves behind belongs to a family named in src/queue/keys.ts, on a single server
// and on a real 3-master Redis Cluster, where the run must also work at all (BullMQ and our own
// Lua scripts and MULTI steps touching one slot each).

import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisClient } from '../../src/queue/redis.js';
import type { Pipeline } from '../../workers/index.js';
import { rss } from '../helpers/feeds.js';
import { startHttpServer, type TestServer } from '../helpers/http.js';
import { drain, pollAllAndDrain, testPipeline, writeConfig } from '../helpers/pipeline.js';
import { startRedisCluster, type TestCluster } from '../helpers/redis-cluster.js';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp.js';

let http: TestServer;
let smtp: TestSmtp;

beforeAll(async () => {
  http = await startHttpServer();
  smtp = await startSmtpServer();
  const story = (guid: string, link: string) => ({
    guid,
    title: 'Ukraine and Russia agree to resume ceasefire talks in Istanbul',
    link,
    description: 'Ukrainian and Russian negotiators will meet in Istanbul next week to discuss a ceasefire, officials said on Friday.',
  });
  http.route('/wire.xml', (_req, res) => void res.writeHead(200, { 'content-type': 'application/rss+xml', etag: '"w1"' }).end(rss([story('w1', `${http.url}/w/1`)])));
  // The same story through a second feed: one alert, and a second source in the digest.
  http.route('/paper.xml', (_req, res) => void res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss([story('p1', `${http.url}/w/1?ref=paper`)])));
});

afterAll(async () => {
  await smtp.close();
  await http.close();
});

async function runScenario(redisUrl?: string): Promise<Pipeline> {
  const dir = await writeConfig({
    feeds: `feeds:\n  - { id: wire, url: "${http.url}/wire.xml" }\n  - { id: paper, url: "${http.url}/paper.xml" }\n`,
    rules: "rules:\n  - id: ceasefire\n    query: 'ukraine AND ceasefire'\n",
    subscriptions: `subscriptions:
  - { id: desk, email: desk@example.org, rules: [ceasefire] }
  - { id: morning, email: morning@example.org, rules: [ceasefire], delivery: digest, digest: daily }
`,
  });
  const pipeline = await testPipeline(dir, { smtpUrl: smtp.url, redisUrl });
  await pipeline.syncSchedulers();
  pipeline.runWorkers();
  await pollAllAndDrain(pipeline);
  const run = (await pipeline.ctx.queues.digest.getDelayed())[0] as Job;
  await run.promote();
  await drain(pipeline);
  return pipeline;
}

async function keysOf(redis: RedisClient, prefix: string): Promise<string[]> {
  const nodes: Redis[] = redis instanceof Cluster ? redis.nodes('master') : [redis];
  const all: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      all.push(...batch);
      cursor = next;
    } while (cursor !== '0');
  }
  return all;
}

function expectEveryKeyInAFamily(pipeline: Pipeline, keys: string[]): void {
  const unnamed = keys.filter((k) => pipeline.ctx.keys.familyOf(k) === undefined);
  expect(unnamed).toEqual([]);
  const families = new Set(keys.map((k) => pipeline.ctx.keys.familyOf(k)));
  for (const family of ['queue', 'seen', 'health', 'validators', 'story', 'storyUrl', 'digested', 'sent']) expect(families).toContain(family);
}

describe('Redis key families', () => {
  it('leaves only keys of named families after a pipeline run on one server', async () => {
    smtp.messages.length = 0;
    const pipeline = await runScenario();
    try {
      expect(smtp.messages.map((m) => m.to && 'text' in m.to ? m.to.text : '').sort()).toEqual(['desk@example.org', 'morning@example.org']);
      expectEveryKeyInAFamily(pipeline, await keysOf(pipeline.ctx.redis, pipeline.ctx.settings.prefix));
    } finally {
      await pipeline.close();
    }
  });
});

describe('Redis Cluster', () => {
  let cluster: TestCluster | undefined;
  let skipped: string | undefined;

  beforeAll(async () => {
    const started = await startRedisCluster(3);
    if ('unsupported' in started) skipped = started.unsupported;
    else cluster = started;
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('runs feed → alert and digest on a 3-master cluster, every key hash-tagged into its family', async (ctx) => {
    if (skipped) {
      console.warn(`SKIPPED Redis Cluster test: ${skipped}`);
      ctx.skip();
    }
    smtp.messages.length = 0;
    const pipeline = await runScenario((cluster as TestCluster).url);
    try {
      expect(pipeline.ctx.redis).toBeInstanceOf(Cluster);
      // One alert for the story carried by both feeds, and one digest.
      expect(smtp.messages.map((m) => m.to && 'text' in m.to ? m.to.text : '').sort()).toEqual(['desk@example.org', 'morning@example.org']);
      expect(smtp.messages.find((m) => m.subject?.startsWith('Newswatch digest'))?.text).toMatch(/Also reported by/);
      const keys = await keysOf(pipeline.ctx.redis, pipeline.ctx.settings.prefix);
      expectEveryKeyInAFamily(pipeline, keys);
      // The families really spread over the masters rather than all landing on one.
      const perNode = await Promise.all((pipeline.ctx.redis as Cluster).nodes('master').map((n) => n.dbsize()));
      expect(perNode.filter((n) => n > 0).length).toBeGreaterThan(1);
    } finally {
      await pipeline.close();
    }
  });
});
