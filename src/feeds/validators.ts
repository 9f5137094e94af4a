// A feed's HTTP validators (ETag, Last-Modified) kept in Redis for conditional GET. They are
// saved only after a poll's items were queued and remembered, so a crash before that refetches
// the full feed rather than getting a 304 for items never taken in.

import type { RedisKeys } from '../queue/keys.js';
import type { RedisClient } from '../queue/redis.js';

export interface Validators {
  etag?: string;
  lastModified?: string;
}

export class ValidatorStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  private key(feedId: string): string {
    return this.keys.validators(feedId);
  }

  async get(feedId: string): Promise<Validators> {
    const v = await this.redis.hgetall(this.key(feedId));
    return { etag: v.etag || undefined, lastModified: v.lastModified || undefined };
  }

  async save(feedId: string, v: Validators): Promise<void> {
    if (!v.etag && !v.lastModified) {
      await this.redis.del(this.key(feedId));
      return;
    }
    await this.redis.hset(this.key(feedId), { etag: v.etag ?? '', lastModified: v.lastModified ?? '' });
  }
}
