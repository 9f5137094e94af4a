// What a feed's next poll compares its answer with, kept in Redis per feed: the HTTP validators
// (ETag, Last-Modified) for a conditional GET, and the digest of the last body read, for the many
// servers that answer 200 with the same bytes instead of 304. All are saved only after a poll's
// items were queued and remembered, so a crash before that refetches and rereads the full feed
// rather than skipping items never taken in.

import { createHash } from 'node:crypto';
import type { RedisKeys } from '../queue/keys.js';
import { withScripts, type RedisClient } from '../queue/redis.js';

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

/** A feed's marks from its hash's fields (HGETALL's). */
export const marksOf = (v: Record<string, string | undefined>): FeedMarks => ({ etag: v.etag || undefined, lastModified: v.lastModified || undefined, digest: v.digest || undefined });

/** The script arguments of saving marks (saveMarksLua), or of leaving them as they are (`undefined`). */
export const saveMarksArgs = (v: FeedMarks | undefined): string[] => (v ? ['1', v.etag ?? '', v.lastModified ?? '', v.digest ?? ''] : ['0', '', '', '']);

/**
 * Lua that saves marks (saveMarksArgs at ARGV[first…first+3]) in the hash `key`, as save() does:
 * a part of the script that ends a poll (poll-state.ts).
 */
export const saveMarksLua = (key: string, first: number) => `
if ARGV[${first}] == '1' then
  if ARGV[${first + 1}] == '' and ARGV[${first + 2}] == '' and ARGV[${first + 3}] == '' then redis.call('DEL', ${key})
  else redis.call('HSET', ${key}, 'etag', ARGV[${first + 1}], 'lastModified', ARGV[${first + 2}], 'digest', ARGV[${first + 3}]) end
end
`;

// KEYS[1] the validators hash; ARGV: saveMarksArgs. The same Lua as the end of a poll's, so the
// rule (all empty: no hash) is written once.
const SAVE_MARKS = saveMarksLua('KEYS[1]', 1);

type WithScript = RedisClient & { nwSaveMarks(key: string, ...args: string[]): Promise<unknown> };

export class ValidatorStore {
  private readonly redis: WithScript;

  constructor(
    redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    this.redis = withScripts<WithScript>(redis, { nwSaveMarks: { keys: 1, lua: SAVE_MARKS } });
  }

  private key(feedId: string): string {
    return this.keys.validators(feedId);
  }

  async get(feedId: string): Promise<FeedMarks> {
    return marksOf(await this.redis.hgetall(this.key(feedId)));
  }

  async save(feedId: string, v: FeedMarks): Promise<void> {
    await this.redis.nwSaveMarks(this.key(feedId), ...saveMarksArgs(v));
  }
}
