// `newswatch status` against the run's Redis after a real `run-once`: one feed that reads, one
// that fails, an email subscription that got its alert, and (written through their stores) a
// paused, a pending and a disabled subscription.

import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SubscriptionStore } from '../../src/alerts/subscription-store.js';
import { SubscriptionState } from '../../src/alerts/subscriptions.js';
import { RedisKeys } from '../../src/queue/keys.js';
import type { StatusReport } from '../../src/cli/status.js';
import { runCli } from '../helpers/cli.js';
import { rss } from '../helpers/feeds.js';
import { serve, startHttpServer, type TestServer } from '../helpers/http.js';
import { uniquePrefix, writeConfig } from '../helpers/pipeline.js';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp.js';

let http: TestServer;
let smtp: TestSmtp;
let env: NodeJS.ProcessEnv;
let configDir: string;

beforeAll(async () => {
  http = await startHttpServer();
  smtp = await startSmtpServer();
  http.route('/wire.xml', serve(rss([{ guid: 'a', title: 'Truce agreed', link: 'http://example.invalid/a', description: 'A truce.' }]), 'application/rss+xml'));
  http.route('/down.xml', serve('no', 'text/plain', 503));
  configDir = await writeConfig({
    feeds: `feeds:\n  - { id: wire, url: "${http.url}/wire.xml" }\n  - { id: down, url: "${http.url}/down.xml" }\n`,
    rules: "rules:\n  - { id: truce, query: 'truce' }\n",
    subscriptions: `subscriptions:
  - { id: desk, email: desk@example.org, rules: [truce] }
  - { id: holiday, email: away@example.org, rules: [truce], paused: true }
  - { id: old-hook, webhook: { url: "${http.url}/hook" }, rules: [truce], feeds: [down] }
`,
  });
  const prefix = uniquePrefix();
  env = { REDIS_URL: inject('redisUrl'), NEWSWATCH_PREFIX: prefix, SMTP_URL: smtp.url, NEWSWATCH_DATA: await mkdtemp(join(tmpdir(), 'nw-')) };
  const run = await runCli(['run-once', '--config', configDir], env);
  expect(run.stdout).toContain('Feeds: 1 of 2 read');
  expect(smtp.messages).toHaveLength(1);

  const redis = new Redis(inject('redisUrl'));
  try {
    const keys = new RedisKeys(prefix);
    await new SubscriptionState(redis, keys).disable('old-hook', 'webhook answered 410 Gone');
    const pending = { id: 's-wait', email: 'wait@example.org', rules: ['truce'], delivery: 'immediate' as const, timezone: 'UTC', maxPerDigest: 50, paused: false, createdAt: new Date().toISOString(), origin: 'web' as const };
    expect(await new SubscriptionStore(redis, keys).createPending(pending, 600_000, 10)).toMatchObject({ outcome: 'created' });
  } finally {
    redis.disconnect();
  }
});

afterAll(async () => {
  await smtp.close();
  await http.close();
});

describe('newswatch status', () => {
  it('--json reports queues, feeds with the failing one and its error, subscriptions by state and the last alert', async () => {
    const run = await runCli(['status', '--json', '--config', configDir], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as StatusReport;
    expect(report.queues.map((q) => q.queue).sort()).toEqual(['article', 'deliver', 'digest', 'poll']);
    // The failed poll of `down` is kept in the poll queue's failed set (the feed is polled again on its schedule).
    for (const q of report.queues) expect([q.queue, q.waiting, q.active, q.failed]).toEqual([q.queue, 0, 0, q.queue === 'poll' ? 1 : 0]);
    expect(report.feeds).toMatchObject({ total: 2, ok: 1, failing: 1, flagged: 0, neverPolled: 0 });
    expect(report.feeds.worst).toHaveLength(1);
    expect(report.feeds.worst[0]).toMatchObject({ feedId: 'down', state: 'failing', consecutiveFailures: 1, errorClass: 'http' });
    expect(report.feeds.worst[0]?.error).toContain('HTTP 503');
    expect(Date.parse(report.feeds.worst[0]?.failingSince ?? '')).toBeLessThanOrEqual(Date.parse(report.at));
    expect(report.subscriptions).toEqual({ active: 1, paused: 1, pending: 1, disabled: 1 });
    expect(report.lastAlert).toMatchObject({ subscriptionId: 'desk', kind: 'alert', title: 'Truce agreed', channel: 'email', to: 'desk@example.org' });
    expect(report.lastAlert?.storyId).toMatch(/\S/);
    expect(Date.parse(report.lastAlert?.at ?? '')).toBeLessThanOrEqual(Date.parse(report.at));
  });

  it('prints the same on one screen', async () => {
    const run = await runCli(['status', '--config', configDir], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^QUEUE\s+WAITING\s+ACTIVE\s+DELAYED\s+FAILED\s+OLDEST WAITING$/m);
    expect(run.stdout).toMatch(/^deliver\s+0\s+0\s+0\s+0\s+-$/m);
    expect(run.stdout).toMatch(/^poll\s+0\s+0\s+\d+\s+1\s+-$/m);
    expect(run.stdout).not.toContain('newswatch retry');
    expect(run.stdout).toContain('Feeds: 2 — 1 ok, 1 failing, 0 flagged');
    expect(run.stdout).toMatch(/^ {2}down {2}failing, 1 failure\(s\) since \S+ \(.+\): .*HTTP 503/m);
    expect(run.stdout).toContain('Subscriptions: 1 active, 1 paused, 1 pending, 1 disabled');
    expect(run.stdout).toMatch(/^Last alert: \S+ \(.+\) to desk \(email desk@example.org\): "Truce agreed" \(story \S+\)$/m);
  });
});
