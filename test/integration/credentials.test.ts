// Credentials in URLs are used and never shown (issue 13.4): `run-once` and `start` against a
// Redis with a password, an SMTP server with a login, a feed and a webhook behind Basic auth,
// with LOG_LEVEL=debug so that every log line is written; no output carries a planted secret.

import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, redactCredentials } from '../../src/config/credentials.js';
import { startManagedRedis, type ManagedRedis } from '../../src/queue/managed-redis.js';
import { runCli, spawnCli, waitFor } from '../helpers/cli.js';
import { rss } from '../helpers/feeds.js';
import { serve, startHttpServer, type Handler, type TestServer } from '../helpers/http.js';
import { uniquePrefix, writeConfig } from '../helpers/pipeline.js';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp.js';

const SECRETS = { redis: 'redis-pw-5150', smtp: 'smtp-pw-8086', feed: 'feed-pw-6502', webhook: 'hook-pw-2600' };

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

/** Answers only requests with the right Basic credentials, as a protected feed or receiver. */
const behindLogin =
  (user: string, pass: string, inner: Handler): Handler =>
  (req, res) =>
    req.headers.authorization === basic(user, pass) ? inner(req, res) : void res.writeHead(401, { 'www-authenticate': 'Basic' }).end();

describe('redactCredentials', () => {
  it('masks the password of every URL in a text and keeps the user name', () => {
    expect(redactCredentials('connecting to redis://:s3cret@h:6379/0 and smtps://mail%40x.org:p@ss@smtp.x.org:465')).toBe(
      'connecting to redis://:***@h:6379/0 and smtps://mail%40x.org:***@smtp.x.org:465',
    );
    expect(redactCredentials('{"url":"https://token123@feeds.example.org/a.xml"}')).toBe('{"url":"https://***@feeds.example.org/a.xml"}');
    expect(redactCredentials('redis+cluster://u:pw@h1:7000,h2:7001')).toBe('redis+cluster://u:***@h1:7000,h2:7001');
    // Redis URLs as the runtime and the outage log print them.
    expect(redactCredentials('redis://:hunter2@127.0.0.1:6380/2')).toBe('redis://:***@127.0.0.1:6380/2');
    expect(redactCredentials('rediss://app:s3cret@redis.example.org:6380')).toBe('rediss://app:***@redis.example.org:6380');
    expect(redactCredentials('redis://tokenonly@host:6379')).toBe('redis://***@host:6379');
    expect(redactCredentials('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });

  it('leaves e-mail addresses and URLs without user info alone', () => {
    const text = 'desk@example.org got http://example.org/a?by=me@x.org';
    expect(redactCredentials(text)).toBe(text);
  });

  it('turns user info into a Basic authorization and a URL without it', () => {
    const { url, authorization } = basicAuth(new URL('https://al%20ice:p%40ss@example.org/feed.xml'));
    expect(url.toString()).toBe('https://example.org/feed.xml');
    expect(authorization).toBe(basic('al ice', 'p@ss'));
  });
});

describe('no command prints a credential', () => {
  let redis: ManagedRedis;
  let http: TestServer;
  let smtp: TestSmtp;
  let redisUrl: string;

  beforeAll(async () => {
    // A fresh server, so that the password does not lock out the other tests.
    redis = await startManagedRedis();
    const admin = new Redis(redis.url);
    await admin.config('SET', 'requirepass', SECRETS.redis);
    admin.disconnect();
    redisUrl = `redis://:${SECRETS.redis}@127.0.0.1:${redis.port}`;
    smtp = await startSmtpServer({ login: { user: 'mailer', pass: SECRETS.smtp } });
    http = await startHttpServer();
    const items = [{ guid: 'a', title: 'Kyiv ready for truce talks', link: 'http://example.invalid/a', description: 'Ukraine says a truce is possible.' }];
    http.route('/private.xml', behindLogin('reader', SECRETS.feed, serve(rss(items), 'application/rss+xml')));
    http.route('/hook', behindLogin('hooks', SECRETS.webhook, serve('', 'text/plain', 204)));
  });

  afterAll(async () => {
    await http?.close();
    await smtp?.close();
    await redis?.stop();
  });

  async function setup() {
    const at = http.url.replace('http://', '');
    const dir = await writeConfig({
      feeds: `feeds:
  - { id: private, url: "http://reader:${SECRETS.feed}@${at}/private.xml", interval: 1h }
  - { id: gone, url: "http://reader:${SECRETS.feed}@${at}/gone.xml", interval: 1h }
`,
      rules: "rules:\n  - id: truce\n    query: 'ukraine AND truce'\n",
      subscriptions: `subscriptions:
  - { id: desk, email: desk@example.org, rules: [truce] }
  - { id: hook, webhook: { url: "http://hooks:${SECRETS.webhook}@${at}/hook" }, rules: [truce] }
`,
    });
    const env = {
      REDIS_URL: redisUrl,
      SMTP_URL: `smtp://mailer:${SECRETS.smtp}@127.0.0.1:${new URL(smtp.url).port}`,
      NEWSWATCH_PREFIX: uniquePrefix(),
      NEWSWATCH_DATA: await mkdtemp(join(tmpdir(), 'nw-data-')),
      LOG_LEVEL: 'debug',
    };
    return { dir, env };
  }

  const expectNoSecret = (output: string) => {
    for (const secret of Object.values(SECRETS)) expect(output).not.toContain(secret);
  };
  const hookCalls = () => http.requests.filter((r) => r.path === '/hook' && r.method === 'POST').length;

  it('run-once uses every credential and prints none', async () => {
    const { dir, env } = await setup();
    const mailsBefore = smtp.messages.length;
    const hooksBefore = hookCalls();
    const run = await runCli(['run-once', '--config', dir], env);
    const output = `${run.stdout}\n${run.stderr}`;
    expectNoSecret(output);
    expect(run.stdout).toMatch(/private\s+1 items, 1 new/);
    expect(run.stdout).toMatch(/gone\s+FAILED: http:\/\/reader:\*\*\*@127\.0\.0\.1:\d+\/gone\.xml: HTTP 404/);
    expect(run.stdout).toContain('Alerts: 2 delivered');
    expect(smtp.messages.length - mailsBefore).toBe(1);
    expect(hookCalls() - hooksBefore).toBe(1);
    expect(run.code).toBe(0);
  }, 240_000);

  it('start logs its Redis, mail and feeds without their credentials', async () => {
    const { dir, env } = await setup();
    const mailsBefore = smtp.messages.length;
    const started = spawnCli(['start', '--config', dir], env);
    await waitFor(() => smtp.messages.length > mailsBefore && started.stderr().includes('/gone.xml: HTTP 404'), 150_000, 'the alert and the failed poll');
    started.child.kill('SIGTERM');
    const run = await started.done;
    expect(run.code).toBe(0);
    expectNoSecret(`${run.stdout}\n${run.stderr}`);
    expect(run.stderr).toContain(`redis://:***@127.0.0.1:${redis.port}`);
  }, 240_000);
});
