// A subscription's alerts of one article job go out in one deliver job, in order, each alert
// claimed before and marked sent after its send: two jobs holding the same story send it once,
// a job that failed midway keeps its alerts in the failed set and a retry sends only those not
// sent, and an alert job queued before batches still delivers. Real Redis, SMTP and HTTP.

import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { failedCommand, retryCommand } from '../../src/cli/failed.js';
import { SubscriptionState } from '../../src/alerts/subscriptions.js';
import { alertsJobId, deliverJobId, type AlertItem, type DeliverJobData } from '../../src/queue/jobs.js';
import type { DeliverResult } from '../../workers/deliver.js';
import type { Pipeline } from '../../workers/index.js';
import { waitFor } from '../helpers/cli.js';
import { startHttpServer, type TestServer } from '../helpers/http.js';
import { drain, recordingLogger, testPipeline, writeConfig } from '../helpers/pipeline.js';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp.js';

let http: TestServer;
let dir: string;
let pipeline: Pipeline | undefined;

const item = (n: number): AlertItem => ({
  storyId: `s${n}`,
  article: { id: `a${n}`, feed: 'wire', title: `Story ${n}`, url: `http://example.invalid/${n}`, summary: 'A truce.' },
  rules: [{ id: 'truce', name: 'Truce', hits: [] }],
  matchedAt: new Date().toISOString(),
});
const alerts = (subscriptionId: string, ns: number[]): { name: string; data: DeliverJobData; opts: { jobId: string } } => ({
  name: 'alerts',
  data: { kind: 'alerts', subscriptionId, items: ns.map(item) },
  opts: { jobId: alertsJobId(subscriptionId, ns.map((n) => `s${n}`)) },
});
const capture = async (run: (out: NodeJS.WritableStream) => Promise<number>): Promise<string> => {
  const chunks: string[] = [];
  expect(await run({ write: (s: string) => chunks.push(s) } as unknown as NodeJS.WritableStream)).toBe(0);
  return chunks.join('');
};
/** The alerts the deliver worker says it sent: in its jobs' results, and as progress of a run that ended without one. */
function reported(p: Pipeline): string[] {
  const titles: string[] = [];
  const [worker] = p.workers;
  const add = (r: unknown) => titles.push(...((r as DeliverResult | undefined)?.sent ?? []).map((s) => s.title));
  worker!.on('completed', (_job, result) => add(result));
  worker!.on('progress', (_job, progress) => add(progress));
  return titles;
}
const storiesPosted = (path: string) => http.requests.filter((r) => r.path === path).map((r) => (JSON.parse(r.body) as { story: string }).story);

beforeAll(async () => {
  http = await startHttpServer();
  dir = await writeConfig({
    feeds: `feeds:\n  - { id: wire, url: "${http.url}/wire.xml" }\n`,
    rules: "rules:\n  - { id: truce, name: Truce, query: 'truce' }\n",
    subscriptions: `subscriptions:
  - { id: desk, email: desk@example.org, rules: [truce] }
  - { id: hook, webhook: { url: "${http.url}/hook" }, rules: [truce] }
  - { id: gone, webhook: { url: "${http.url}/gone" }, rules: [truce] }
`,
  });
});

afterEach(async () => {
  await pipeline?.close();
  pipeline = undefined;
});

afterAll(async () => http.close());

describe('a batch of alerts for one subscription', { timeout: 120_000 }, () => {
  it('sends a story that two batch jobs hold once: the job that finds it claimed comes back until the claim has ended', async () => {
    // Every message is held until release, so both jobs are mid-send at once.
    const smtp: TestSmtp = await startSmtpServer({ holdAfter: 0 });
    try {
      const { log, lines } = recordingLogger();
      pipeline = await testPipeline(dir, { smtpUrl: smtp.url, log, settings: { lockDurationMs: 2_000 } });
      await pipeline.ctx.queues.deliver.addBulk([alerts('desk', [1, 2]), alerts('desk', [1, 3])]);
      pipeline.runWorkers(['deliver']);
      const told = reported(pipeline);
      // One job claimed story 1 and sends it; the other skipped it and sends its own second story.
      await waitFor(() => smtp.held() === 2, 30_000, 'both jobs sending');
      smtp.release();
      await drain(pipeline, 60_000);
      await new Promise((r) => setTimeout(r, 500));
      expect(smtp.messages.map((m) => m.subject).sort()).toEqual(['Truce: Story 1', 'Truce: Story 2', 'Truce: Story 3']);
      // Put off at least once, each time for about a second, not the claim's whole 2 s life.
      const putOff = lines.filter((l) => l.msg === 'alerts being sent by another job; looking again in a moment');
      expect(putOff.length).toBeGreaterThanOrEqual(1);
      for (const l of putOff) expect(Date.parse(String(l.until)) - Number(l.time)).toBeLessThan(1_600);
      // What the put-off job sent before it waited is told too (run-once's summary lists it).
      expect(told.sort()).toEqual(['Story 1', 'Story 2', 'Story 3']);
      expect(await pipeline.ctx.queues.deliver.getFailedCount()).toBe(0);
    } finally {
      // The pool's connections first: the server waits for its clients to leave.
      await pipeline?.close();
      pipeline = undefined;
      await smtp.close();
    }
  });

  it('still delivers an alert job queued before batches, and a batch holding its story does not send it again', async () => {
    const smtp = await startSmtpServer();
    try {
      pipeline = await testPipeline(dir, { smtpUrl: smtp.url });
      await pipeline.ctx.queues.deliver.add('alert', { kind: 'alert', subscriptionId: 'desk', ...item(21) }, { jobId: deliverJobId('desk', 's21') });
      pipeline.runWorkers(['deliver']);
      await waitFor(() => smtp.messages.length === 1, 30_000, 'the single alert');
      await pipeline.ctx.queues.deliver.addBulk([alerts('desk', [21, 22])]);
      await drain(pipeline);
      await new Promise((r) => setTimeout(r, 500));
      expect(smtp.messages.map((m) => m.subject)).toEqual(['Truce: Story 21', 'Truce: Story 22']);
    } finally {
      // The pool's connections first: the server waits for its clients to leave.
      await pipeline?.close();
      pipeline = undefined;
      await smtp.close();
    }
  });

  it('keeps a batch whose second alert failed for good in the failed set, and a retry sends only what was not sent', async () => {
    let refuse = true;
    http.route('/hook', (req, res) => void res.writeHead(refuse && req.body.includes('"s12"') ? 400 : 200).end());
    pipeline = await testPipeline(dir, { settings: { deliverAttempts: 3 } });
    await pipeline.ctx.queues.deliver.addBulk([alerts('hook', [11, 12, 13])]);
    pipeline.runWorkers(['deliver']);
    const told = reported(pipeline);
    await drain(pipeline);
    // The first went out, the second was refused (a 400: no retry), the third waits with it.
    expect(storiesPosted('/hook')).toEqual(['s11', 's12']);
    const env = { REDIS_URL: inject('redisUrl'), NEWSWATCH_PREFIX: pipeline.ctx.settings.prefix };
    const opts = { configDir: dir, dataDir: dir };
    const silent = pino({ level: 'silent' });
    const listed = await capture((out) => failedCommand(opts, env, silent, out));
    expect(listed).toContain('1 failed:');
    expect(listed).toContain('3 alerts: Story 11, and 2 more');
    expect(listed).toContain('HTTP 400, permanent (not retried)');

    refuse = false;
    expect(await capture((out) => retryCommand(opts, env, silent, undefined, true, out))).toContain('retrying');
    await drain(pipeline);
    expect(storiesPosted('/hook')).toEqual(['s11', 's12', 's12', 's13']);
    expect(told).toEqual(['Story 11', 'Story 12', 'Story 13']);
    expect(await pipeline.ctx.queues.deliver.getFailedCount()).toBe(0);
  });

  it('stops at a 410 Gone and disables the subscription, without a failed job', async () => {
    http.route('/gone', (_req, res) => void res.writeHead(410).end());
    pipeline = await testPipeline(dir);
    await pipeline.ctx.queues.deliver.addBulk([alerts('gone', [31, 32, 33])]);
    pipeline.runWorkers(['deliver']);
    await drain(pipeline);
    expect(storiesPosted('/gone')).toEqual(['s31']);
    expect((await new SubscriptionState(pipeline.ctx.redis, pipeline.ctx.keys).disabled()).get('gone')).toContain('410 Gone');
    expect(await pipeline.ctx.queues.deliver.getFailedCount()).toBe(0);
  });
});
