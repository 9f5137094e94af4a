// Hot reload of a running `newswatch start`: a broken edit is refused with file:line:col and the
// last good config stays; a good edit adds a feed (its scheduler polls it and its alert arrives)
// and removes another's scheduler; SIGHUP and `newswatch reload` reload too.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { QUEUES } from '../../src/queue/jobs.js';
import { RedisKeys } from '../../src/queue/keys.js';
import { runCli, spawnCli, waitFor } from '../helpers/cli.js';
import { rss } from '../helpers/feeds.js';
import { serve, startHttpServer, type TestServer } from '../helpers/http.js';
import { uniquePrefix, writeConfig } from '../helpers/pipeline.js';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp.js';

const RULES = "rules:\n  - id: ceasefire\n    name: Ceasefire\n    query: 'ukraine AND ceasefire'\n";
const SUBS = 'subscriptions:\n  - { id: desk, email: desk@example.org, rules: [ceasefire] }\n';

describe('hot reload', () => {
  let http: TestServer;
  let smtp: TestSmtp;
  beforeAll(async () => {
    http = await startHttpServer();
    smtp = await startSmtpServer();
    http.route('/quiet.xml', serve(rss([{ guid: 'q1', title: 'Weather', link: 'http://example.invalid/q1', description: 'Sunny.' }]), 'application/rss+xml'));
    http.route('/wire.xml', serve(rss([{ guid: 'w1', title: 'Ceasefire holds', link: 'http://example.invalid/w1', description: 'In Ukraine the ceasefire holds.' }]), 'application/rss+xml'));
  });
  afterAll(async () => {
    await smtp.close();
    await http.close();
  });

  it('keeps the last good config on a broken edit, applies a good one, and reloads on SIGHUP and `newswatch reload`', async () => {
    const dir = await writeConfig({ feeds: `feeds:\n  - { id: quiet, url: "${http.url}/quiet.xml", interval: 1h }\n`, rules: RULES, subscriptions: SUBS });
    const prefix = uniquePrefix();
    const env = { REDIS_URL: inject('redisUrl'), NEWSWATCH_PREFIX: prefix, SMTP_URL: smtp.url, LOG_LEVEL: 'info' };
    const poll = new Queue(new RedisKeys(prefix).queue(QUEUES.poll), { connection: { url: inject('redisUrl') }, prefix });
    const schedulers = async () => (await poll.getJobSchedulers()).map((s) => s.key).sort();
    const proc = spawnCli(['start', '--config', dir], env);
    const reloads = () => proc.stderr().split('\n').filter((l) => l.includes('"msg":"config reloaded"')).length;
    try {
      await waitFor(() => proc.stderr().includes('"msg":"newswatch started"'), 90_000, 'the start line');
      expect(await schedulers()).toEqual(['feed-quiet']);

      // A rule whose query does not parse: refused, with where.
      await writeFile(join(dir, 'rules.yaml'), `${RULES}  - id: broken\n    query: 'ukraine AND ('\n`);
      await waitFor(() => proc.stderr().includes('config not reloaded'), 30_000, 'the refused reload');
      expect(proc.stderr()).toMatch(/rules\.yaml:6:\d+: error: /);
      expect(reloads()).toBe(0);

      // Fixed, and the feeds swapped: the new feed is polled and alerts, the old one's scheduler goes.
      await writeFile(join(dir, 'rules.yaml'), RULES);
      await writeFile(join(dir, 'feeds.yaml'), `feeds:\n  - { id: wire, url: "${http.url}/wire.xml", interval: 1h }\n`);
      await waitFor(() => smtp.messages.length === 1, 90_000, 'the alert from the added feed');
      expect(smtp.messages[0]?.subject).toBe('Ceasefire: Ceasefire holds');
      await waitFor(async () => (await schedulers()).join() === 'feed-wire', 30_000, 'the removed feed\u2019s scheduler to go');

      const before = reloads();
      proc.child.kill('SIGHUP');
      await waitFor(() => reloads() > before, 30_000, 'the reload on SIGHUP');

      const asked = reloads();
      const run = await runCli(['reload', '--config', dir], env);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Reload sent to [1-9]\d* process\(es\)/);
      await waitFor(() => reloads() > asked, 30_000, 'the reload asked for through Redis');
      expect(proc.stderr()).toContain('"reason":"reload message"');
    } finally {
      proc.child.kill('SIGTERM');
      await proc.done;
      await poll.close();
    }
    expect(smtp.messages).toHaveLength(1);
  }, 400_000);
});
