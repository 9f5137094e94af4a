// Failures no retry will change go to the failed set at once with the server's answer: an SMTP
// 5xx (but 552) and a webhook 4xx (but 408 and 429); temporary ones are retried as before.

import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rss } from '../helpers/feeds.js';
import { serve, startHttpServer, type TestServer } from '../helpers/http.js';
import { pollAllAndDrain, testPipeline, writeConfig } from '../helpers/pipeline.js';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp.js';
import type { Pipeline } from '../../workers/index.js';

let http: TestServer;
let smtp: TestSmtp;
let pipeline: Pipeline;
let failed: Job[];

const subscriptionsOf = (jobs: Job[]) => jobs.map((j) => (j.data as { subscriptionId: string }).subscriptionId).sort();

beforeAll(async () => {
  http = await startHttpServer();
  http.route('/wire.xml', serve(rss([{ guid: 'a', title: 'Truce agreed', link: 'http://example.invalid/a', description: 'A truce.' }]), 'application/rss+xml'));
  http.route('/bad-request', serve('{"error":"unknown channel"}', 'application/json', 400));
  http.route('/slow-down', serve('', 'text/plain', 429));
  smtp = await startSmtpServer({
    refuse: {
      'gone@example.org': { code: 550, message: '5.1.1 mailbox unavailable' },
      'full@example.org': { code: 552, message: '5.2.2 mailbox full' },
      'later@example.org': { code: 451, message: '4.3.0 try again later' },
    },
  });
  const dir = await writeConfig({
    feeds: `feeds:\n  - { id: wire, url: "${http.url}/wire.xml" }\n`,
    rules: "rules:\n  - { id: truce, query: 'truce' }\n",
    subscriptions: `subscriptions:
  - { id: gone, email: gone@example.org, rules: [truce] }
  - { id: full, email: full@example.org, rules: [truce] }
  - { id: later, email: later@example.org, rules: [truce] }
  - { id: bad-request, webhook: { url: "${http.url}/bad-request" }, rules: [truce] }
  - { id: slow-down, webhook: { url: "${http.url}/slow-down" }, rules: [truce] }
`,
  });
  pipeline = await testPipeline(dir, { smtpUrl: `${smtp.url}?pool=false`, settings: { deliverAttempts: 3, deliverBackoffMs: 50 } });
  pipeline.runWorkers();
  await pollAllAndDrain(pipeline);
  failed = await pipeline.ctx.queues.deliver.getFailed(0, -1);
});

afterAll(async () => {
  await pipeline.close();
  await smtp.close();
  await http.close();
});

describe('a delivery the receiver refuses for good', () => {
  it('is not retried after an SMTP 550, and is kept as failed with the server answer', () => {
    expect(smtp.recipients.filter((r) => r === 'gone@example.org')).toHaveLength(1);
    const job = failed.find((j) => (j.data as { subscriptionId: string }).subscriptionId === 'gone');
    expect(job?.failedReason).toMatch(/^SMTP 550, permanent \(not retried\): .*5\.1\.1 mailbox unavailable/);
  });

  it('is not retried after a webhook 400', () => {
    expect(http.requests.filter((r) => r.path === '/bad-request')).toHaveLength(1);
    expect(failed.find((j) => (j.data as { subscriptionId: string }).subscriptionId === 'bad-request')?.failedReason).toBe(
      `${http.url}/bad-request: HTTP 400, permanent (not retried)`,
    );
  });
});

describe('a delivery refused for now', () => {
  it('is retried up to its attempts after an SMTP 4xx or 552 and a webhook 429', () => {
    expect(smtp.recipients.filter((r) => r === 'later@example.org')).toHaveLength(3);
    expect(smtp.recipients.filter((r) => r === 'full@example.org')).toHaveLength(3);
    expect(http.requests.filter((r) => r.path === '/slow-down')).toHaveLength(3);
    expect(subscriptionsOf(failed)).toEqual(['bad-request', 'full', 'gone', 'later', 'slow-down']);
  });
});
