// Finds the Redis to use, without ceremony: REDIS_URL if set; else a server already answering
// on 127.0.0.1:6379; else a managed redis-server (AOF on, data in $NEWSWATCH_DATA/redis);
// else an error that says how to get one. A Redis Cluster is named by listing some of its nodes:
// REDIS_URL=redis+cluster://host:port,host:port (rediss+cluster:// for TLS; user:password@
// before the first node applies to all).

import { join } from 'node:path';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { startManagedRedis, type ManagedRedis } from './managed-redis.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface RedisTarget {
  url: string;
  source: 'REDIS_URL' | 'local' | 'managed';
  managed?: ManagedRedis;
}

export class RedisUnavailableError extends Error {}

/** A single server or a cluster: every store works with both. */
export type RedisClient = Redis | Cluster;

const CLUSTER_SCHEME = /^(rediss?)\+cluster:\/\//;

export function isClusterUrl(url: string): boolean {
  return CLUSTER_SCHEME.test(url);
}

/** The seed nodes and shared options of a `redis+cluster://` URL. */
export function parseClusterUrl(url: string): { nodes: { host: string; port: number }[]; options: RedisOptions } {
  const match = CLUSTER_SCHEME.exec(url);
  if (!match) throw new Error(`${url} is not a redis+cluster:// URL`);
  let rest = url.slice(match[0].length).replace(/\/.*$/, '');
  const options: RedisOptions = {};
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const [user, password] = rest.slice(0, at).split(':');
    if (user) options.username = decodeURIComponent(user);
    if (password) options.password = decodeURIComponent(password);
    rest = rest.slice(at + 1);
  }
  if (match[1] === 'rediss') options.tls = {};
  const nodes = rest.split(',').map((node) => {
    const parsed = new URL(`redis://${node}`);
    return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(parsed.port) || 6379 };
  });
  if (nodes.length === 0 || nodes.some((n) => !n.host)) throw new Error(`${url}: list the cluster's nodes as host:port,host:port`);
  return { nodes, options };
}

/** Connection for BullMQ workers and our own commands: never give up on a command mid-outage. */
export function connect(url: string, extra: RedisOptions = {}): RedisClient {
  const options: RedisOptions = { maxRetriesPerRequest: null, enableReadyCheck: true, ...extra };
  if (!isClusterUrl(url)) return new Redis(url, options);
  const { nodes, options: shared } = parseClusterUrl(url);
  return new Cluster(nodes, { redisOptions: { ...options, ...shared }, enableReadyCheck: true });
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
