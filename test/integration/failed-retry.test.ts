// What `newswatch failed` and `newswatch retry` tell an operator: failed polls are not kept but
// their feeds are listed as failing (polled again on schedule), and retry says who sends what it
// queued again: a running worker now, or `start` / the next `run-once` when none runs.

import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { failedCommand, retryCommand } from '../../src/cli/failed.js';
import { rss } from '../helpers/feeds.js';
import { serve, startHttpServer, type TestServer } from '../helpers/http.js';
import { pollAllAndDrain, recordingLogger, testPipeline, writeConfig } from '../helpers/pipeline.js';
import type { Pipeline } from '../../workers/index.js';

let http: TestServer;
let dir: string;

beforeAll(async () => {
  http = await startHttpServer();
  http.route('/wire.xml', serve(rss([{ guid: 'a', title: 'Truce agreed', link: 'http://example.invalid/a', description: 'A truce.' }]), 'application/rss+xml'));
  http.route('/down.xml', serve('no', 'text/plain', 503));
  http.route('/broken', serve('', 'text/plain', 503));
  dir = await writeConfig({
    feeds: `feeds:\n  - { id: wire, url: "${http.url}/wire.xml" }\n  - { id: down, url: "${http.url}/down.xml" }\n`,
    rules: "rules:\n  - { id: truce, query: 'truce' }\n",
    subscriptions: `subscriptions:\n  - { id: hook, webhook: { url: "${http.url}/broken" }, rules: [truce] }\n`,
  });
});

afterAll(async () => http.close());

async function capture(run: (out: NodeJS.WritableStream) => Promise<number>): Promise<string> {
  const chunks: string[] = [];
  expect(await run({ write: (s: string) => chunks.push(s) } as unknown as NodeJS.WritableStream)).toBe(0);
  return chunks.join('');
}

describe('newswatch failed and retry', () => {
  let pipeline: Pipeline;
  const { log, lines } = recordingLogger();
  const silent = pino({ level: 'silent' });
  const opts = () => ({ configDir: dir, dataDir: dir });
  const env = () => ({ REDIS_URL: inject('redisUrl'), NEWSWATCH_PREFIX: pipeline.ctx.settings.prefix });

  beforeAll(async () => {
    pipeline = await testPipeline(dir, { log, settings: { deliverAttempts: 1 } });
    pipeline.runWorkers();
    await pollAllAndDrain(pipeline);
  });

  afterAll(async () => pipeline.close());

  it('logs a failed poll as polled again on schedule, not as kept in the failed set, and lists its feed as failing', async () => {
    const polls = lines.filter((l) => l.queue === 'poll' && (l.level as number) >= 40);
    expect(polls.map((l) => l.msg)).not.toContain('job failed for good; kept in the failed set');
    const out = await capture((sink) => failedCommand(opts(), env(), silent, sink));
    expect(out).toContain('1 failed:');
    expect(out).toContain('1 feed(s) failing; each is polled again on its schedule, not by retry');
    expect(out).toMatch(/ {2}down: .*HTTP 503.* \(1 failure\(s\) in a row\)/);
  });

  it('says that a running worker sends what retry queued', async () => {
    const out = await capture((sink) => retryCommand(opts(), env(), silent, undefined, true, sink));
    expect(out).toContain('retrying ');
    expect(out).toContain('A worker is running: they are being sent now');
  });

  it('says that start or the next run-once sends them when no worker runs', async () => {
    await waitForFailed(pipeline);
    await Promise.all(pipeline.workers.map((w) => w.close()));
    const out = await capture((sink) => retryCommand(opts(), env(), silent, undefined, true, sink));
    expect(out).toContain('No worker is running: they wait in the queue until `newswatch start` runs, or the next `newswatch run-once` sends them.');
  });
});

/** The delivery retried by the previous test has failed again. */
async function waitForFailed(pipeline: Pipeline): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await pipeline.ctx.queues.deliver.getFailedCount()) === 0) {
    if (Date.now() > deadline) throw new Error('the retried delivery did not fail again within 60 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}
