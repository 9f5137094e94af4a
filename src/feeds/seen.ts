// Which items of a feed were already taken in, kept in Redis as a sorted set per feed (member:
// item id, score: last time the item was in the feed). Items are remembered only after their
// article jobs are queued, so a crash in between re-queues (deduplicated by job id) rather than
// loses. Entries not seen in the feed for `retainMs` are dropped to bound memory.

import type { RedisKeys } from '../queue/keys.js';
import { withScripts, type RedisClient } from '../queue/redis.js';

// The members with the highest score: those one remember() call wrote last (it gives all one score).
const LAST_REMEMBERED = `local top = redis.call('ZREVRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #top == 0 then return {} end
return redis.call('ZRANGEBYSCORE', KEYS[1], top[2], top[2], 'LIMIT', 0, tonumber(ARGV[1]))`;

/** At most this many ids come back from lastRemembered (a hint: more would only cost transfer). */
const LAST_REMEMBERED_MAX = 5_000;

type WithScript = RedisClient & { nwLastRemembered(key: string, max: number): Promise<string[]> };

export class SeenStore {
  private readonly redis: WithScript;

  constructor(
    redis: RedisClient,
    private readonly keys: RedisKeys,
    /** settings.seenRetentionMs */
    private readonly retainMs: number,
  ) {
    this.redis = withScripts<WithScript>(redis, { nwLastRemembered: { keys: 1, lua: LAST_REMEMBERED } });
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
    const key = this.key(feedId);
    const args = ids.flatMap((id) => [now, id]);
    await this.redis
      .multi()
      .zadd(key, ...args)
      .zremrangebyscore(key, '-inf', now - this.retainMs)
      .exec();
  }

  async forget(feedId: string): Promise<void> {
    await this.redis.del(this.key(feedId));
  }
}
