// Which items of a feed were already taken in, kept in Redis as a sorted set per feed (member:
// item id, score: last time the item was in the feed). Items are remembered only after their
// article jobs are queued, so a crash in between re-queues (deduplicated by job id) rather than
// loses. Entries not seen in the feed for `retainMs` are dropped to bound memory.

import type { RedisKeys } from '../queue/keys.js';
import type { RedisClient } from '../queue/redis.js';

export class SeenStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    /** settings.seenRetentionMs */
    private readonly retainMs: number,
  ) {}

  private key(feedId: string): string {
    return this.keys.seen(feedId);
  }

  /** The ids not yet remembered for this feed, in the given order. */
  async filterNew(feedId: string, ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const scores = await this.redis.zmscore(this.key(feedId), ...ids);
    return ids.filter((_, i) => scores[i] === null);
  }

  /** True when nothing was ever remembered for the feed (its first poll). */
  async isEmpty(feedId: string): Promise<boolean> {
    return (await this.redis.exists(this.key(feedId))) === 0;
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
