// Digest buckets in Redis: one hash per digest subscription (story id → entry). Adding is
// idempotent and a story goes into one digest only (a marker per subscription and story lives
// for the dedup window); a later copy of a story still in the bucket adds its source to "also
// reported by". Draining renames the bucket to a batch key named after the digest run, in one
// atomic step, so an article arriving meanwhile lands in this digest or the next, never neither,
// never both; a retried run finds its batch again.

import type { Article } from '../feeds/article.js';
import { hashId, type MatchedRule } from '../queue/jobs.js';
import type { RedisKeys } from '../queue/keys.js';
import { withScripts, type RedisClient } from '../queue/redis.js';

export interface DigestEntry {
  storyId: string;
  article: Article;
  source: string;
  rules: MatchedRule[];
  matchedAt: string;
  also: { source: string; url?: string }[];
}

const ADD = `
local bucket, marker = KEYS[1], KEYS[2]
local storyId, entry, isCopy, alsoId, also, window = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
if redis.call('HEXISTS', bucket, 'story:' .. storyId) == 1 then
  if isCopy == '1' then
    redis.call('HSETNX', bucket, 'also:' .. storyId .. ':' .. alsoId, also)
    return 'also'
  end
  return 'present'
end
if redis.call('SET', marker, '1', 'NX', 'PX', window) == false then return 'sent-before' end
redis.call('HSET', bucket, 'story:' .. storyId, entry)
return 'added'
`;

const DRAIN = `
if redis.call('EXISTS', KEYS[2]) == 1 then return 1 end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('RENAME', KEYS[1], KEYS[2])
return 1
`;

type WithScripts = RedisClient & {
  nwDigestAdd(...args: (string | number)[]): Promise<string>;
  nwDigestDrain(...args: string[]): Promise<number>;
};

export type AddOutcome = 'added' | 'also' | 'present' | 'sent-before';

export class DigestStore {
  private readonly redis: WithScripts;

  constructor(
    redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly windowMs: number,
  ) {
    this.redis = withScripts<WithScripts>(redis, { nwDigestAdd: { keys: 2, lua: ADD }, nwDigestDrain: { keys: 2, lua: DRAIN } });
  }

  private bucket(subscriptionId: string): string {
    return this.keys.digestBucket(subscriptionId);
  }

  private batch(subscriptionId: string, batchId: string): string {
    return this.keys.digestBatch(subscriptionId, batchId);
  }

  /** Puts a story in the subscription's next digest; a copy adds its source to the entry. */
  async add(subscriptionId: string, entry: DigestEntry, isCopy: boolean): Promise<AddOutcome> {
    const also = { source: entry.source, url: entry.article.url };
    return (await this.redis.nwDigestAdd(
      this.bucket(subscriptionId),
      this.keys.digested(subscriptionId, entry.storyId),
      entry.storyId,
      JSON.stringify({ ...entry, also: [] }),
      isCopy ? '1' : '0',
      hashId(also.source, also.url ?? ''),
      JSON.stringify(also),
      this.windowMs,
    )) as AddOutcome;
  }

  /** Moves the bucket into the batch of this digest run; false when there is nothing to send. */
  async drain(subscriptionId: string, batchId: string): Promise<boolean> {
    return (await this.redis.nwDigestDrain(this.bucket(subscriptionId), this.batch(subscriptionId, batchId))) === 1;
  }

  async readBatch(subscriptionId: string, batchId: string): Promise<DigestEntry[]> {
    return parseEntries(await this.redis.hgetall(this.batch(subscriptionId, batchId)));
  }

  async deleteBatch(subscriptionId: string, batchId: string): Promise<void> {
    await this.redis.del(this.batch(subscriptionId, batchId));
  }

  /** What the next digest would contain now, without draining (for `preview`). */
  async peek(subscriptionId: string): Promise<DigestEntry[]> {
    return parseEntries(await this.redis.hgetall(this.bucket(subscriptionId)));
  }
}

/** Entries from a bucket hash: `story:<id>` fields, with their `also:<id>:<n>` fields folded in. */
function parseEntries(hash: Record<string, string>): DigestEntry[] {
  const entries = new Map<string, DigestEntry>();
  for (const [field, json] of Object.entries(hash)) {
    if (field.startsWith('story:')) entries.set(field.slice(6), JSON.parse(json) as DigestEntry);
  }
  for (const [field, json] of Object.entries(hash)) {
    if (!field.startsWith('also:')) continue;
    const entry = entries.get(field.slice(5, field.lastIndexOf(':')));
    const also = JSON.parse(json) as DigestEntry['also'][number];
    if (entry && also.url !== entry.article.url) entry.also.push(also);
  }
  return [...entries.values()];
}
