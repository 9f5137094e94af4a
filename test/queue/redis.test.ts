import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { startManagedRedis } from '../../src/queue/managed-redis.js';
import { LONG_TEXT_CHARS, longTextAsBytes, resolveRedis, withScripts } from '../../src/queue/redis.js';
import { redisConnectTimeoutMs } from '../../src/cli/runtime.js';

describe('managed redis-server', () => {
  it('keeps data across restarts in its directory with AOF on', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'newswatch-redis-'));
    const first = await startManagedRedis({ dir });
    const a = new Redis(first.url);
    await a.set('newswatch:probe', 'kept');
    a.disconnect();
    await first.stop();
    expect((await readdir(dir)).some((f) => f.startsWith('appendonly'))).toBe(true);

    const second = await startManagedRedis({ dir });
    const b = new Redis(second.url);
    try {
      expect(await b.get('newswatch:probe')).toBe('kept');
    } finally {
      b.disconnect();
      await second.stop();
    }
  });

  it('reports a missing redis-server binary as ENOENT', async () => {
    await expect(startManagedRedis({ binary: 'redis-server-that-does-not-exist' })).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('withScripts', () => {
  it('hands a script long text as bytes and short text as it is, and Redis keeps the same text either way', async () => {
    const redis = new Redis(inject('redisUrl'));
    try {
      const scripted = withScripts<Redis & { nwTestSetTwo(...args: string[]): Promise<string> }>(redis, {
        nwTestSetTwo: { keys: 2, lua: "redis.call('SET', KEYS[1], ARGV[1]) redis.call('SET', KEYS[2], ARGV[2]) return 'OK'" },
      });
      const long = 'Київ — truce talks “resume” 🕊️ '.repeat(Math.ceil(LONG_TEXT_CHARS / 10));
      const key = `withScripts-${process.pid}`;
      expect(await scripted.nwTestSetTwo(`${key}:long`, `${key}:short`, long, 'short text')).toBe('OK');
      expect(await redis.get(`${key}:long`)).toBe(long);
      expect(await redis.get(`${key}:short`)).toBe('short text');
      await redis.del(`${key}:long`, `${key}:short`);
    } finally {
      redis.disconnect();
    }
  });

  it('turns text arguments of LONG_TEXT_CHARS or more into their UTF-8 bytes and leaves the rest', () => {
    const seen: unknown[] = [];
    const command = longTextAsBytes((...args: unknown[]) => seen.push(...args));
    const long = 'é'.repeat(LONG_TEXT_CHARS);
    command('k', long.slice(1), long, 7);
    expect(seen[0]).toBe('k');
    expect(seen[1]).toBe(long.slice(1));
    expect(Buffer.isBuffer(seen[2]) && (seen[2] as Buffer).equals(Buffer.from(long, 'utf8'))).toBe(true);
    expect(seen[3]).toBe(7);
  });
});

describe('resolveRedis', () => {
  it('uses REDIS_URL when it is set, without probing', async () => {
    const url = inject('redisUrl');
    expect(await resolveRedis({ REDIS_URL: url }, '/nonexistent')).toEqual({ url, source: 'REDIS_URL' });
  });
});

describe('REDIS_CONNECT_TIMEOUT', () => {
  it('is 10 s unless set, in seconds, and a clear error when it is not a number', () => {
    expect(redisConnectTimeoutMs({})).toBe(10_000);
    expect(redisConnectTimeoutMs({ REDIS_CONNECT_TIMEOUT: '2.5' })).toBe(2_500);
    expect(() => redisConnectTimeoutMs({ REDIS_CONNECT_TIMEOUT: 'soon' })).toThrow('REDIS_CONNECT_TIMEOUT is a number of seconds, e.g. 30 (got "soon")');
  });
});
