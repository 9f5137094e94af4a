// What a feed's next poll compares its answer with, kept in Redis per feed: the HTTP validators
// (ETag, Last-Modified) for a conditional GET, and the digest of the last body read, for the many
// servers that answer 200 with the same bytes instead of 304. All are saved only after a poll's
// items were queued and remembered, so a crash before that refetches and rereads the full feed
// rather than skipping items never taken in.

import { createHash } from 'node:crypto';
import type { RedisKeys } from '../queue/keys.js';
import type { RedisClient } from '../queue/redis.js';

export interface Validators {
  etag?: string;
  lastModified?: string;
}

export interface FeedMarks extends Validators {
  /** bodyDigest of the last body read in full. */
  digest?: string;
}

/**
 * A fingerprint of a feed's body as read with these settings: the same bytes read the same way
 * give the same items, so the poll can stop as at a 304. `readAs` holds what changes how the
 * bytes are read (the item identity), so changing it makes the next poll read the feed again.
 */
export function bodyDigest(body: Uint8Array, readAs: string): string {
  return createHash('sha256').update(readAs).update('\u0000').update(body).digest('base64url');
}

export class ValidatorStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  private key(feedId: string): string {
    return this.keys.validators(feedId);
  }

  async get(feedId: string): Promise<FeedMarks> {
    const v = await this.redis.hgetall(this.key(feedId));
    return { etag: v.etag || undefined, lastModified: v.lastModified || undefined, digest: v.digest || undefined };
  }

  async save(feedId: string, v: FeedMarks): Promise<void> {
    if (!v.etag && !v.lastModified && !v.digest) {
      await this.redis.del(this.key(feedId));
      return;
    }
    await this.redis.hset(this.key(feedId), { etag: v.etag ?? '', lastModified: v.lastModified ?? '', digest: v.digest ?? '' });
  }
}
