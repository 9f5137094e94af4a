// Which items of a feed were already taken in, kept in Redis as a sorted set per feed (member:
// item id, score: last time the item was in the feed). Items are remembered only after their
// article jobs are queued, so a crash in between re-queues (deduplicated by job id) rather than
// loses. Entries not seen in the feed for `retainMs` are dropped to bound memory.

import type { RedisKeys } from '../queue/keys.js';
import { withScripts, type RedisClient } from '../queue/redis.js';

/**
 * Lua that returns the members of the sorted set `key` with its highest score (those one
 * remember() call wrote last: it gives all one score), at most `max` of them: this store's
 * script, and a part of the one that starts a poll (poll-state.ts).
 */
export const lastRememberedLua = (key: string, max: string) => `
local top = redis.call('ZREVRANGE', ${key}, 0, 0, 'WITHSCORES')
local remembered = {}
if #top > 0 then remembered = redis.call('ZRANGEBYSCORE', ${key}, top[2], top[2], 'LIMIT', 0, tonumber(${max})) end
`;

/** At most this many ids come back from lastRemembered (a hint: more would only cost transfer). */
export const LAST_REMEMBERED_MAX = 5_000;

/**
 * Lua that remembers ids in the sorted set `key` (rememberArgs at ARGV[first…], the ids last, so
 * it goes after any other part's arguments) and drops those not seen since the cutoff: this
 * store's script, and a part of the one that ends a poll (poll-state.ts).
 */
export const rememberLua = (key: string, first: number) => `
local n = tonumber(ARGV[${first + 2}])
if n > 0 then
  for i = 0, n - 1, 500 do
    local args = {}
    for j = i, math.min(n, i + 500) - 1 do
      args[#args + 1] = ARGV[${first}]
      args[#args + 1] = ARGV[${first + 3} + j]
    end
    redis.call('ZADD', ${key}, unpack(args))
  end
  redis.call('ZREMRANGEBYSCORE', ${key}, '-inf', ARGV[${first + 1}])
end
`;

/** The script arguments of remembering `ids` at `now`: the time, the cutoff, the count, the ids. */
export const rememberArgs = (ids: string[], now: number, retainMs: number): (string | number)[] => [now, now - retainMs, ids.length, ...ids];

// KEYS[1] the seen set. Scripts rather than MULTI: see health.ts.
const LAST_REMEMBERED = `${lastRememberedLua('KEYS[1]', 'ARGV[1]')}
return remembered`;
const REMEMBER = rememberLua('KEYS[1]', 1);

type WithScript = RedisClient & {
  nwLastRemembered(key: string, max: number): Promise<string[]>;
  nwRemember(key: string, ...args: (string | number)[]): Promise<unknown>;
};

export class SeenStore {
  private readonly redis: WithScript;

  constructor(
    redis: RedisClient,
    private readonly keys: RedisKeys,
    /** settings.seenRetentionMs */
    private readonly retainMs: number,
  ) {
    this.redis = withScripts<WithScript>(redis, { nwLastRemembered: { keys: 1, lua: LAST_REMEMBERED }, nwRemember: { keys: 1, lua: REMEMBER } });
  }

  private key(feedId: string): string {
    return this.keys.seen(feedId);
  }

  /** The ids not yet remembered for this feed, in the given order. */
  async filterNew(feedId: string, ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const scores = await this.redis.zmscore(this.key(feedId), ...ids);
    return ids.filter((_, i) => scores[i] === null);
  }

  /**
   * The ids the last remember() call wrote that are still there (for a feed: the items of its
   * last poll that read it); empty when nothing is remembered. Every id returned is remembered,
   * so a poll holding the feed's lock can treat them as not new without asking again.
   */
  async lastRemembered(feedId: string): Promise<string[]> {
    return this.redis.nwLastRemembered(this.key(feedId), LAST_REMEMBERED_MAX);
  }

  async remember(feedId: string, ids: string[], now = Date.now()): Promise<void> {
    if (ids.length === 0) return;
    await this.redis.nwRemember(this.key(feedId), ...rememberArgs(ids, now, this.retainMs));
  }

  async forget(feedId: string): Promise<void> {
    await this.redis.del(this.key(feedId));
  }
}
