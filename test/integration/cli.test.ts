// The `newswatch` command as users and scripts run it: a real child process, the run's Redis,
// local HTTP feeds, a real SMTP server or the outbox.

import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rss } from '../helpers/feeds.js';
import { runCli, spawnCli, waitFor } from '../helpers/cli.js';
import { serve, startHttpServer, type TestServer } from '../helpers/http.js';
import { uniquePrefix, writeConfig } from '../helpers/pipeline.js';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp.js';

const RULES = `rules:
  - id: ukraine-ceasefire
    name: Ukraine ceasefire talks
    query: '(ukraine OR kyiv) AND (ceasefire OR truce OR "peace talks")'
`;
const SUBS = 'subscriptions:\n  - { id: desk, email: desk@example.org, rules: [ukraine-ceasefire] }\n';

let http: TestServer;

beforeAll(async () => {
  http = await startHttpServer();
  http.route(
    '/wire.xml',
    serve(
      rss([
        { guid: 'a', title: 'Kyiv ready for truce talks', link: 'http://example.invalid/a', description: 'Ukraine says a truce is possible.' },
        { guid: 'b', title: 'Cup final tonight', link: 'http://example.invalid/b', description: 'Football.' },
      ]),
      'application/rss+xml',
    ),
  );
  http.route('/down.xml', serve('no', 'text/plain', 503));
});

afterAll(async () => http.close());

const env = (extra: NodeJS.ProcessEnv = {}) => ({ REDIS_URL: inject('redisUrl'), NEWSWATCH_PREFIX: uniquePrefix(), ...extra });

describe('newswatch run-once', () => {
  it('polls, delivers into the outbox without SMTP_URL, prints a summary and exits 0', async () => {
    const dir = await writeConfig({
      feeds: `feeds:\n  - { id: wire, url: "${http.url}/wire.xml" }\n  - { id: down, url: "${http.url}/down.xml" }\n`,
      rules: RULES,
      subscriptions: SUBS,
    });
    const data = await mkdtemp(join(tmpdir(), 'newswatch-data-'));
    const run = await runCli(['run-once', '--config', dir], env({ NEWSWATCH_DATA: data }));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Feeds: 1 of 2 read');
    expect(run.stdout).toMatch(/wire\s+2 items, 2 new/);
    expect(run.stdout).toMatch(/down\s+FAILED: .*HTTP 503/);
    expect(run.stdout).toContain('Articles: 2 processed, 1 matched a rule');
    expect(run.stdout).toContain('Alerts: 1 delivered');
    const outbox = join(data, 'outbox');
    const files = await readdir(outbox);
    expect(files).toHaveLength(1);
    const eml = await readFile(join(outbox, files[0] as string), 'utf8');
    expect(eml).toContain('Subject: Ukraine ceasefire talks: Kyiv ready for truce talks');
    expect(eml).toContain('To: desk@example.org');
  });

  it('exits 1 when no feed could be read', async () => {
    const dir = await writeConfig({ feeds: `feeds:\n  - { id: down, url: "${http.url}/down.xml" }\n`, rules: RULES, subscriptions: SUBS });
    const run = await runCli(['run-once', '--config', dir], env({ NEWSWATCH_DATA: await mkdtemp(join(tmpdir(), 'nw-')) }));
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('Feeds: 0 of 1 read');
  });
});

describe('newswatch validate', () => {
  it('exits 0 for the shipped config', async () => {
    const run = await runCli(['validate', '--config', 'config'], {});
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/OK — \d+ feed\(s\), \d+ rule\(s\)/);
  });

  it('exits 1 and names file, line, column and fix for a broken config', async () => {
    const dir = await writeConfig({ feeds: 'feeds:\n  - id: wire\n    url: https://e.org/f.xml\n    interval: soon\n', rules: RULES, subscriptions: SUBS });
    const run = await runCli(['validate'], { NEWSWATCH_CONFIG: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/feeds\.yaml:4:15: error: interval: "soon" is not a duration/);
  });
});

describe('newswatch match', () => {
  it('writes one JSON line per (article, rule) match in input order', async () => {
    const dir = await writeConfig({ feeds: 'feeds: []\n', rules: `${RULES}  - id: grain\n    query: 'grain AND odesa'\n`, subscriptions: 'subscriptions: []\n' });
    const input = [
      { id: 'x1', title: 'Grain leaves Odesa', summary: 'Kyiv hopes the truce holds.', content: 'Ukraine' },
      { id: 'x2', title: 'Nothing here' },
      { id: 'x3', summary: 'Ukraine and Russia discuss a ceasefire' },
    ]
      .map((a) => JSON.stringify(a))
      .join('\n');
    const run = await runCli(['match', '--rules', join(dir, 'rules.yaml')], {}, `${input}\nnot json\n`);
    expect(run.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      { article: 'x1', rule: 'ukraine-ceasefire' },
      { article: 'x1', rule: 'grain' },
      { article: 'x3', rule: 'ukraine-ceasefire' },
    ]);
    expect(run.stderr).toContain('stdin line 4: not valid JSON; line skipped');
    expect(run.code).toBe(1);

    const explained = await runCli(['match', '--explain', '--rules', join(dir, 'rules.yaml')], {}, '{"id":"e","title":"Kyiv truce"}\n');
    const line = JSON.parse(explained.stdout);
    expect(line).toMatchObject({ article: 'e', rule: 'ukraine-ceasefire', name: 'Ukraine ceasefire talks' });
    expect(line.hits).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'title', start: 0, end: 4 })]));
  });

  it('hands every line to a reader on a pipe before it exits (large output)', async () => {
    const dir = await writeConfig({ feeds: 'feeds: []\n', rules: `${RULES}  - id: truce\n    query: 'truce'\n`, subscriptions: 'subscriptions: []\n' });
    const articles = 20_000;
    const input = Array.from({ length: articles }, (_, i) => JSON.stringify({ id: `a${i}`, title: `Kyiv agrees a truce, day ${i}` })).join('\n');
    const run = await runCli(['match', '--rules', join(dir, 'rules.yaml')], {}, `${input}\n`);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(articles * 2);
    expect(JSON.parse(lines.at(-1) as string)).toEqual({ article: `a${articles - 1}`, rule: 'truce' });
  }, 120_000);
});

describe('newswatch start', () => {
  let smtp: TestSmtp;
  beforeAll(async () => {
    smtp = await startSmtpServer();
  });
  afterAll(async () => smtp.close());

  it('says what it watches and, with LOG_FORMAT=pretty (as on a terminal), logs readable lines', async () => {
    const dir = await writeConfig({ feeds: `feeds:\n  - { id: wire, url: "${http.url}/wire.xml", interval: 1h }\n`, rules: RULES, subscriptions: SUBS });
    const run = spawnCli(['start', '--config', dir], env({ LOG_FORMAT: 'pretty', NEWSWATCH_DATA: await mkdtemp(join(tmpdir(), 'nw-')) }));
    let stdout = '';
    run.child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    await waitFor(() => stdout.includes('watching'), 100_000, 'the watching line');
    expect(stdout).toBe('watching 1 feed, 1 rule, 1 subscription; Ctrl-C to stop\n');
    run.child.kill('SIGINT');
    const stopped = await run.done;
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: newswatch started \{.*"feeds":1/m);
    expect(stopped.stderr).not.toContain('"level":');
  }, 120_000);

  it('delivers, stops gracefully on SIGTERM with exit 0, and drops the schedulers of removed feeds on the next start', async () => {
    const prefix = uniquePrefix();
    const feeds = `feeds:\n  - { id: wire, url: "${http.url}/wire.xml", interval: 1h }\n  - { id: down, url: "${http.url}/down.xml", interval: 1h }\n`;
    const dir = await writeConfig({ feeds, rules: RULES, subscriptions: SUBS });
    const e = env({ NEWSWATCH_PREFIX: prefix, SMTP_URL: smtp.url, LOG_LEVEL: 'info' });
    const first = spawnCli(['start', '--config', dir], e);
    await waitFor(() => smtp.messages.length === 1, 90_000, 'the alert email');
    expect(smtp.messages[0]?.subject).toBe('Ukraine ceasefire talks: Kyiv ready for truce talks');
    await waitFor(() => first.stderr().includes('"msg":"newswatch started"'), 90_000, 'the start line');
    const started = JSON.parse(first.stderr().split('\n').find((l) => l.includes('"msg":"newswatch started"')) as string) as { web: string };
    const answer = await fetch(`${started.web}/no-such-page`);
    expect(answer.status).toBe(404);
    expect(await answer.json()).toEqual({ error: 'There is nothing at this address.' });
    first.child.kill('SIGTERM');
    const stopped = await first.done;
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).toContain('"msg":"stopped"');
    await expect(fetch(`${started.web}/`)).rejects.toThrow();

    const connection = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    const poll = new Queue('poll', { connection, prefix });
    try {
      expect((await poll.getJobSchedulers()).map((s) => s.key).sort()).toEqual(['feed-down', 'feed-wire']);
      const dir2 = await writeConfig({ feeds: `feeds:\n  - { id: wire, url: "${http.url}/wire.xml", interval: 1h }\n`, rules: RULES, subscriptions: SUBS });
      const second = spawnCli(['start', '--config', dir2], e);
      await waitFor(async () => (await poll.getJobSchedulers()).length === 1, 90_000, 'the scheduler of the removed feed to go');
      expect((await poll.getJobSchedulers()).map((s) => s.key)).toEqual(['feed-wire']);
      await waitFor(() => second.stderr().includes('"msg":"newswatch started"'), 90_000, 'the second start line');
      second.child.kill('SIGINT');
      expect((await second.done).code).toBe(0);
      // Restarting polled the feed again; nothing new was sent.
      expect(smtp.messages).toHaveLength(1);
    } finally {
      await poll.close();
      connection.disconnect();
    }
  });
});
