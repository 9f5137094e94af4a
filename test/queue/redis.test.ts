import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { startManagedRedis } from '../../src/queue/managed-redis.js';
import { resolveRedis } from '../../src/queue/redis.js';
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
