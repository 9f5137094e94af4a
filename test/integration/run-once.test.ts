// `newswatch run-once` after an earlier `start` left its schedulers in Redis: it reports its own
// polls only, removes the schedulers of feeds no longer in the config, and its exit code follows
// the README's rule (1 when no feed could be read).

import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli, type CliRun } from '../helpers/cli.js';
import { rss } from '../helpers/feeds.js';
import { serve, startHttpServer, type TestServer } from '../helpers/http.js';
import { uniquePrefix, writeConfig } from '../helpers/pipeline.js';

let http: TestServer;

beforeAll(async () => {
  http = await startHttpServer();
  http.route('/down.xml', serve('no', 'text/plain', 503));
  http.route('/wire.xml', serve(rss([{ guid: 'a', title: 'Truce agreed', link: 'http://example.invalid/a', description: 'A truce.' }]), 'application/rss+xml'));
  http.route('/gone', serve('', 'text/plain', 410));
  http.route('/broken', serve('', 'text/plain', 500));
});

afterAll(async () => http.close());

describe('newswatch run-once after a start', () => {
  it('reports only its own polls, removes the schedulers of feeds no longer configured, and exits 1 when no feed could be read', async () => {
    const prefix = uniquePrefix();
    const connection = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    const poll = new Queue('poll', { connection, prefix });
    try {
      // What `start` with an older config left: a scheduler per feed, each with its next poll due now.
      for (const feedId of ['gone', 'down']) {
        await poll.upsertJobScheduler(`feed-${feedId}`, { every: 3_600_000 }, { name: 'poll', data: { feedId } });
      }
      const dir = await writeConfig({
        feeds: `feeds:\n  - { id: down, url: "${http.url}/down.xml" }\n`,
        rules: "rules:\n  - { id: truce, query: 'truce' }\n",
        subscriptions: 'subscriptions:\n  - { id: desk, email: desk@example.org, rules: [truce] }\n',
      });
      const run = await runCli(['run-once', '--config', dir], {
        REDIS_URL: inject('redisUrl'),
        NEWSWATCH_PREFIX: prefix,
        NEWSWATCH_DATA: await mkdtemp(join(tmpdir(), 'nw-')),
      });
      expect(run.stdout).toContain('Feeds: 0 of 1 read');
      expect(run.stdout).toMatch(/down\s+FAILED: .*HTTP 503/);
      expect(run.stdout).toContain('removed the schedules of what is no longer in the config: feed-gone');
      expect(run.stdout).not.toMatch(/^\s+gone\s/m);
      expect(run.code).toBe(1);
      expect((await poll.getJobSchedulers()).map((s) => s.key)).toEqual(['feed-down']);
    } finally {
      await poll.close();
      connection.disconnect();
    }
  });
});

describe('newswatch run-once delivering to webhooks', () => {
  let run: CliRun;
  beforeAll(async () => {
    const dir = await writeConfig({
      feeds: `feeds:\n  - { id: wire, url: "${http.url}/wire.xml" }\n`,
      rules: "rules:\n  - { id: truce, query: 'truce' }\n",
      subscriptions: `subscriptions:
  - { id: gone-hook, webhook: { url: "${http.url}/gone" }, rules: [truce] }
  - { id: broken-hook, webhook: { url: "${http.url}/broken" }, rules: [truce] }
`,
      settings: 'delivery:\n  attempts: 2\n  backoff: 1s\n',
    });
    run = await runCli(['run-once', '--config', dir], {
      REDIS_URL: inject('redisUrl'),
      NEWSWATCH_PREFIX: uniquePrefix(),
      NEWSWATCH_DATA: await mkdtemp(join(tmpdir(), 'nw-')),
    });
  });

  it('says "subscription disabled (410 Gone)" for a receiver that answered 410, not delivered', () => {
    expect(run.stdout).toContain('Alerts: 0 delivered, 1 failed, 1 not sent: subscription disabled (410 Gone)');
    expect(run.stdout).toContain('✗ gone-hook: Truce agreed — subscription disabled (410 Gone); `newswatch enable gone-hook` turns it back on');
    expect(run.code).toBe(0);
  });

  it('tries a failing delivery as often as delivery.attempts in settings.yaml says', () => {
    expect(http.requests.filter((r) => r.path === '/broken')).toHaveLength(2);
    expect(run.stdout).toMatch(/✗ broken-hook: Truce agreed — .*HTTP 500 \(kept in the failed set\)/);
  });
});

describe('newswatch run-once piped (not a terminal)', () => {
  it('draws no progress: stdout is the summary alone and stderr has no progress line', async () => {
    const dir = await writeConfig({
      feeds: `feeds:\n  - { id: wire, url: "${http.url}/wire.xml" }\n`,
      rules: "rules:\n  - { id: truce, query: 'truce' }\n",
      subscriptions: 'subscriptions: []\n',
    });
    const run = await runCli(['run-once', '--config', dir], {
      REDIS_URL: inject('redisUrl'),
      NEWSWATCH_PREFIX: uniquePrefix(),
      NEWSWATCH_DATA: await mkdtemp(join(tmpdir(), 'nw-')),
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Feeds: 1 of 1 read\n {2}wire {2}1 items, 1 new\nArticles: 1 processed, 1 matched a rule\nAlerts: 0 delivered \(email goes to .*\)\n$/);
    expect(run.stderr).not.toMatch(/feeds \||Polling/);
    expect(run.stderr).not.toContain('\u001b[');
  });
});
