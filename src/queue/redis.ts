// Finds the Redis to use, without ceremony: REDIS_URL if set; else a server already answering
// on 127.0.0.1:6379; else a managed redis-server (AOF on, data in $NEWSWATCH_DATA/redis);
// else an error that says how to get one. A Redis Cluster is named by listing some of its nodes:
// REDIS_URL=redis+cluster://host:port,host:port (rediss+cluster:// for TLS; user:password@
// before the first node applies to all). Before a command uses it, waitForRedis checks that it
// answers: for a bounded time (REDIS_CONNECT_TIMEOUT), or for `start` until it does, one line per
// attempt with a growing delay; the message names the URL with its password redacted.

import { join } from 'node:path';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { redactCredentials } from '../config/credentials.js';
import { openManagedRedis, type ManagedRedis } from './managed-redis.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface RedisTarget {
  url: string;
  source: 'REDIS_URL' | 'local' | 'managed';
  managed?: ManagedRedis;
}

export class RedisUnavailableError extends Error {}

/** A single server or a cluster: every store works with both. */
export type RedisClient = Redis | Cluster;

/**
 * The client with these Lua scripts as commands of its own (ioredis runs them by EVALSHA and
 * sends a script's text only to a server that lacks it). A name already defined on the client
 * is left as it is, so every store built on one client shares its scripts.
 */
export function withScripts<C extends RedisClient>(redis: RedisClient, scripts: Record<string, { keys: number; lua: string }>): C {
  const commands = redis as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const [name, { keys, lua }] of Object.entries(scripts)) {
    if (name in redis) continue;
    redis.defineCommand(name, { numberOfKeys: keys, lua });
    commands[name] = longTextAsBytes(commands[name]!);
  }
  return redis as C;
}

/** A text argument at least this long goes to ioredis as bytes (see longTextAsBytes). */
export const LONG_TEXT_CHARS = 512;

/**
 * The command with its long text arguments turned into Buffers. ioredis writes a command of text
 * arguments as one string, which Node encodes into a buffer sized for the worst case (3 bytes a
 * character, from the system allocator: a batch of articles, ~150 KB, cost ~2 ms of CPU, half of
 * it in the kernel), where Buffers are copied once into a buffer of their exact size (~0.5 ms).
 * Redis receives the same bytes.
 */
export function longTextAsBytes<F extends (...args: unknown[]) => unknown>(command: F): F {
  return function (this: unknown, ...args: unknown[]) {
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      if (typeof arg === 'string' && arg.length >= LONG_TEXT_CHARS) args[i] = Buffer.from(arg);
    }
    return command.apply(this, args);
  } as F;
}

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
    const managed = await openManagedRedis(join(dataDir, 'redis'));
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

export interface WaitOptions {
  /** Give up after this long (ignored when `forever`). */
  timeoutMs: number;
  /** Keep trying until Redis answers (`start`): a server that is still booting is worth waiting for. */
  forever?: boolean;
  /** Called once per failed attempt but the last, with the delay before the next one. */
  onRetry?: (attempt: number, err: Error, delayMs: number) => void;
}

const RETRY_DELAYS_MS = [1_000, 2_000, 4_000, 8_000, 15_000, 30_000];

/**
 * Resolves when `target` answers PING. Otherwise retries: every half second until `timeoutMs`,
 * or with `forever` after 1, 2, 4, 8, 15, then every 30 s; then throws a RedisUnavailableError
 * that names the URL (redacted), the error and what to do. A refused password fails at once.
 */
export async function waitForRedis(target: RedisTarget, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (let attempt = 1; ; attempt++) {
    const err = await probe(target.url, Math.min(2_000, Math.max(200, deadline - Date.now())));
    if (!err) return;
    const refused = /WRONGPASS|NOAUTH|NOPERM/.test(err.message);
    const delay = options.forever ? (RETRY_DELAYS_MS[attempt - 1] ?? 30_000) : 500;
    if (refused || (!options.forever && Date.now() + delay > deadline)) throw unreachable(target, err, options.timeoutMs, refused);
    options.onRetry?.(attempt, err, delay);
    await new Promise((r) => setTimeout(r, delay));
  }
}

function unreachable(target: RedisTarget, err: Error, timeoutMs: number, refused: boolean): RedisUnavailableError {
  const where = `${redactCredentials(target.url)}${target.source === 'REDIS_URL' ? ' (REDIS_URL)' : ''}`;
  const fix = refused
    ? ['  - check the user name and password in REDIS_URL.']
    : target.source === 'REDIS_URL'
      ? [
          '  - start that Redis, or point REDIS_URL at one that runs',
          '    (unset REDIS_URL to use 127.0.0.1:6379 or a redis-server Newswatch starts itself);',
          `  - REDIS_CONNECT_TIMEOUT=SECONDS waits longer (now ${Math.round(timeoutMs / 1_000)}).`,
        ]
      : ['  - check that the Redis server is running, or set REDIS_URL to one that is.'];
  const after = refused ? '' : ` within ${Math.round(timeoutMs / 1_000)} s`;
  return new RedisUnavailableError([`cannot use Redis at ${where}${after}: ${err.message}`, ...fix].join('\n'));
}

/** undefined when the server (a cluster: any seed node) answers PING; else the error. */
async function probe(url: string, timeoutMs: number): Promise<Error | undefined> {
  const options: RedisOptions = { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null };
  const clients = isClusterUrl(url)
    ? (() => {
        const cluster = parseClusterUrl(url);
        return cluster.nodes.map((node) => new Redis({ ...options, ...cluster.options, ...node }));
      })()
    : [new Redis(url, options)];
  let last: Error | undefined;
  for (const client of clients) {
    // connect() rejects with "Connection is closed."; the cause (ECONNREFUSED…) comes as an event.
    let cause: Error | undefined;
    client.on('error', (err: Error) => (cause ??= err));
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') return undefined;
    } catch (err) {
      last = cause ?? (err as Error);
    } finally {
      client.disconnect();
    }
  }
  return last ?? new Error('no answer to PING');
}

async function answers(url: string): Promise<boolean> {
  return (await probe(url, 500)) === undefined;
}
