// Finds the Redis to use, without ceremony: REDIS_URL if set; else a server already answering
// on 127.0.0.1:6379; else a managed redis-server (AOF on, data in $NEWSWATCH_DATA/redis);
// else an error that says how to get one.

import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { startManagedRedis, type ManagedRedis } from './managed-redis.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface RedisTarget {
  url: string;
  source: 'REDIS_URL' | 'local' | 'managed';
  managed?: ManagedRedis;
}

export class RedisUnavailableError extends Error {}

/** Connection for BullMQ workers and our own commands: never give up on a command mid-outage. */
export function connect(url: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...extra });
}

export async function resolveRedis(env: NodeJS.ProcessEnv, dataDir: string): Promise<RedisTarget> {
  if (env.REDIS_URL) return { url: env.REDIS_URL, source: 'REDIS_URL' };
  if (await answers(DEFAULT_REDIS_URL)) return { url: DEFAULT_REDIS_URL, source: 'local' };
  try {
    const managed = await startManagedRedis({ dir: join(dataDir, 'redis') });
    return { url: managed.url, source: 'managed', managed };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new RedisUnavailableError(
      [
        'Newswatch needs Redis, and none was found:',
        '  - REDIS_URL is not set,',
        `  - nothing answers on ${DEFAULT_REDIS_URL},`,
        '  - redis-server is not on PATH, so a managed one cannot be started.',
        'Get one of these:',
        '  - Debian/Ubuntu: sudo apt-get install redis-server   (macOS: brew install redis)',
        '  - Docker:        docker compose up -d redis',
        '  - an existing server: export REDIS_URL=redis://host:6379',
      ].join('\n'),
    );
  }
}

async function answers(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 500,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
