import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { startManagedRedis } from '../../src/queue/managed-redis.js';
import { resolveRedis } from '../../src/queue/redis.js';

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
