// A Redis that does not answer: every command that needs it gives up after REDIS_CONNECT_TIMEOUT
// with one message (URL redacted, the error, what to do); `start` keeps trying with one line per
// attempt and a growing delay, and carries on once Redis is there; the rest never asks for it.

import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, startManagedRedis } from '../../src/queue/managed-redis.js';
import { runCli, spawnCli, waitFor } from '../helpers/cli.js';
import { uniquePrefix, writeConfig } from '../helpers/pipeline.js';

const config = () =>
  writeConfig({
    feeds: 'feeds:\n  - { id: wire, url: "http://127.0.0.1:9/wire.xml" }\n',
    rules: "rules:\n  - { id: truce, query: 'truce' }\n",
    subscriptions: 'subscriptions:\n  - { id: desk, email: desk@example.org, rules: [truce], delivery: digest }\n',
  });

const count = (text: string, what: string) => text.split(what).length - 1;

describe('a Redis that does not answer', () => {
  // run-once and failed stand for every command that opens the runtime (feeds, preview, retry …).
  it('makes run-once and failed give up after REDIS_CONNECT_TIMEOUT with one message naming the URL without its password', { timeout: 240_000 }, async () => {
    const port = await freePort();
    const dir = await config();
    const env = { REDIS_URL: `redis://:hunter2pass@127.0.0.1:${port}`, REDIS_CONNECT_TIMEOUT: '1', NEWSWATCH_DATA: await mkdtemp(join(tmpdir(), 'nw-')) };
    const runs = await Promise.all([['run-once'], ['failed']].map((args) => runCli([...args, '--config', dir], env)));
    for (const run of runs) {
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`cannot use Redis at redis://:***@127.0.0.1:${port} (REDIS_URL) within 1 s: connect ECONNREFUSED`);
      expect(run.stderr).toContain('REDIS_CONNECT_TIMEOUT');
      expect(count(run.stderr, 'ECONNREFUSED')).toBe(1);
      expect(`${run.stdout}${run.stderr}`).not.toContain('hunter2pass');
    }
  });

  it('is not needed by validate', { timeout: 60_000 }, async () => {
    const run = await runCli(['validate', '--config', await config()], { REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    expect(run.code).toBe(0);
  });

  it('keeps start trying, one line per attempt with a growing delay, until Redis comes up', { timeout: 90_000 }, async () => {
    const port = await freePort();
    const start = spawnCli(['start', '--config', await config()], {
      REDIS_URL: `redis://127.0.0.1:${port}`,
      REDIS_CONNECT_TIMEOUT: '1',
      NEWSWATCH_PREFIX: uniquePrefix(),
      NEWSWATCH_DATA: await mkdtemp(join(tmpdir(), 'nw-')),
    });
    const attempts = () => start.stderr().split('\n').filter((l) => l.includes('Redis does not answer'));
    await waitFor(() => attempts().length >= 2, 60_000, 'two attempts');
    const redis = await startManagedRedis({ port });
    try {
      await waitFor(() => start.stderr().includes('"msg":"newswatch started"'), 30_000, 'the start line');
      const lines = attempts();
      expect(lines[0]).toContain('connect ECONNREFUSED');
      const delays = lines.map((l) => Number(/next in ([\d.]+) s/.exec(l)?.[1]));
      expect(delays.slice(0, 2)).toEqual([1, 2]);
      start.child.kill('SIGTERM');
      expect((await start.done).code).toBe(0);
    } finally {
      start.child.kill('SIGKILL');
      await redis.stop();
    }
  });
});
