// One poll of a feed at a time, across every worker process. A feed's scheduler adds its next
// poll when the last one starts, so a poll that takes longer than the feed's interval (a slow
// server, a loaded machine, many polls in flight) would overlap the next: both would read the
// same health and fetch, and a failing feed would be fetched twice per backoff step. The lock
// expires on its own, so a worker killed while polling holds up the feed for at most its TTL.

import { randomUUID } from 'node:crypto';
import type { RedisKeys } from '../queue/keys.js';
import { withScripts, type RedisClient } from '../queue/redis.js';

/**
 * Lua that deletes the lock `key` only if it still holds `token` (after an expiry another poll
 * may hold it), leaving 1 or 0 in the local `released`: this store's script, and a part of the
 * one that ends a poll (poll-state.ts).
 */
export const releaseLua = (key: string, token: string) => `
local released = 0
if redis.call('GET', ${key}) == ${token} then released = redis.call('DEL', ${key}) end
`;

/** Lua that takes the lock `key` for `token` for `ttlMs`, unless it is held: the local `taken` is true when it was. */
export const takeLua = (key: string, token: string, ttlMs: string) => `
local taken = redis.call('SET', ${key}, ${token}, 'PX', ${ttlMs}, 'NX') ~= false
`;

const RELEASE = `${releaseLua('KEYS[1]', 'ARGV[1]')}
return released`;

type WithScript = RedisClient & { nwReleasePollLock(key: string, token: string): Promise<number> };

export class PollLock {
  private readonly redis: WithScript;

  constructor(
    redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    this.redis = withScripts<WithScript>(redis, { nwReleasePollLock: { keys: 1, lua: RELEASE } });
  }

  /**
   * A token when the feed's lock is ours, for at most `ttlMs`; undefined when another poll holds
   * it and still did after waiting up to `waitMs` (0: do not wait).
   */
  async take(feedId: string, ttlMs: number, waitMs = 0): Promise<string | undefined> {
    const taken = await this.takeWith(feedId, ttlMs, waitMs, async (key, token, ttl) => ((await this.redis.set(key, token, 'PX', ttl, 'NX')) === 'OK' ? token : undefined));
    return taken?.value;
  }

  /**
   * As take, with the attempt to take the lock (`SET key token PX ttl NX`) made by `attempt`,
   * which may read more in the same round trip; undefined from it means the lock was not taken.
   */
  async takeWith<T>(feedId: string, ttlMs: number, waitMs: number, attempt: (key: string, token: string, ttlMs: number) => Promise<T | undefined>): Promise<{ token: string; value: T } | undefined> {
    const token = randomUUID();
    const deadline = Date.now() + waitMs;
    for (;;) {
      const value = await attempt(this.keys.pollLock(feedId), token, Math.max(1, Math.ceil(ttlMs)));
      if (value !== undefined) return { token, value };
      if (Date.now() >= deadline) return undefined;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async release(feedId: string, token: string): Promise<void> {
    await this.redis.nwReleasePollLock(this.keys.pollLock(feedId), token);
  }
}

/**
 * Longest a poll can hold its feed: the fetch, the parse in its sandbox thread, and a margin for
 * the Redis writes and for processing the new items in the poll (about a millisecond of CPU each).
 * Should a poll outlast it, a second poll of the feed may start and process the same items: a
 * waste, not a second alert (each step is idempotent, workers/article.ts processBatch).
 */
export const pollLockMs = (s: { feedTimeoutMs: number; parsing: { timeoutMs: number } }) => s.feedTimeoutMs + s.parsing.timeoutMs + 30_000;
