// Per-feed health in Redis (one hash per feed, `<prefix>:health:<feed>`): last attempt and
// success, HTTP status, error class and message, consecutive failures and since when, items in
// the feed, new items taken in (last poll and in total), the next poll and why, a permanent
// redirect seen, items dropped for repeating another item's id, the long-failure flag, and
// whether the operator was told of this run of failures (claimed by one process with HSETNX,
// cleared by the success that ends the run). Written by the poll worker; read by `run-once`, the
// poll worker's backoff check, `newswatch feeds` and `newswatch status`.

import type { RedisKeys } from '../queue/keys.js';
import type { RedisClient } from '../queue/redis.js';
import type { NextPoll, NextPollReason } from './backoff.js';

/** Health field: when the operator was told of the current run of failures. */
const OPERATOR_TOLD = 'operatorTold';

export interface FeedHealth {
  feedId: string;
  lastAttempt?: string;
  lastSuccess?: string;
  status?: number;
  errorClass?: string;
  error?: string;
  consecutiveFailures: number;
  /** First failure of the current run of failures (ISO 8601). */
  failingSince?: string;
  itemsInFeed?: number;
  /** New items taken in by the last poll that read the feed. */
  newItems?: number;
  /** New items taken in since the feed was added. */
  itemsSeen: number;
  nextPoll?: NextPoll;
  /** Failing for longer than flagAfter: shown in `newswatch feeds`; still polled. */
  flagged: boolean;
  /** The feed answered with a permanent redirect to this URL: update feeds.yaml. */
  movedTo?: string;
  /** Items of the last poll dropped because an earlier item had the same id (a reused guid). */
  repeatedIds?: number;
}

export interface PollSuccess {
  status: number;
  /** Undefined for a 304: the last count stays. */
  itemsInFeed?: number;
  newItems: number;
  next: NextPoll;
  movedTo?: string;
  /** Undefined for a 304: the last count stays. */
  repeatedIds?: number;
}

export class HealthStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  private key(feedId: string): string {
    return this.keys.health(feedId);
  }

  /**
   * Records a successful poll. When it ends a run of failures the operator was told of, returns
   * that run (exactly one concurrent caller gets it: the one whose HDEL removed the flag).
   */
  async recordSuccess(feedId: string, r: PollSuccess, at = new Date()): Promise<{ failingSince: string; failures: number } | undefined> {
    const key = this.key(feedId);
    const fields: Record<string, string | number> = {
      lastAttempt: at.toISOString(),
      lastSuccess: at.toISOString(),
      status: r.status,
      newItems: r.newItems,
      consecutiveFailures: 0,
      nextPollAt: new Date(r.next.at).toISOString(),
      nextPollReason: r.next.reason,
    };
    if (r.itemsInFeed !== undefined) fields.itemsInFeed = r.itemsInFeed;
    if (r.repeatedIds !== undefined) fields.repeatedIds = r.repeatedIds;
    const multi = this.redis
      .multi()
      .hmget(key, 'failingSince', 'consecutiveFailures')
      .hdel(key, OPERATOR_TOLD)
      .hset(key, fields)
      .hincrby(key, 'itemsSeen', r.newItems)
      .hdel(key, 'errorClass', 'error', 'failingSince', 'flagged');
    if (r.movedTo) multi.hset(key, 'movedTo', r.movedTo);
    else multi.hdel(key, 'movedTo');
    const results = await multi.exec();
    if (results?.[1]?.[1] !== 1) return undefined;
    const [failingSince, failures] = (results[0]?.[1] ?? []) as (string | null)[];
    return { failingSince: failingSince ?? at.toISOString(), failures: Number(failures ?? 0) };
  }

  /**
   * Claims the right to tell the operator about this feed's current run of failures; true for
   * exactly one caller until a success ends the run.
   */
  async claimOperatorNotice(feedId: string, at = new Date()): Promise<boolean> {
    return (await this.redis.hsetnx(this.key(feedId), OPERATOR_TOLD, at.toISOString())) === 1;
  }

  /** Records a failed attempt; returns the consecutive failures (this one included) and since when. */
  async recordFailure(
    feedId: string,
    r: { status?: number; errorClass: string; error: string },
    at = new Date(),
  ): Promise<{ consecutiveFailures: number; failingSince: number }> {
    const key = this.key(feedId);
    const results = await this.redis
      .multi()
      .hset(key, { lastAttempt: at.toISOString(), errorClass: r.errorClass, error: r.error, status: r.status ?? '' })
      .hsetnx(key, 'failingSince', at.toISOString())
      .hincrby(key, 'consecutiveFailures', 1)
      .hget(key, 'failingSince')
      .exec();
    return {
      consecutiveFailures: Number(results?.[2]?.[1] ?? 1),
      failingSince: Date.parse(String(results?.[3]?.[1] ?? at.toISOString())),
    };
  }

  /** After a failure: when to try again, and whether the feed is now flagged. */
  async schedule(feedId: string, next: NextPoll, flagged: boolean): Promise<void> {
    const key = this.key(feedId);
    const multi = this.redis.multi().hset(key, { nextPollAt: new Date(next.at).toISOString(), nextPollReason: next.reason });
    if (flagged) multi.hset(key, 'flagged', 1);
    await multi.exec();
  }

  async get(feedId: string): Promise<FeedHealth> {
    const h = await this.redis.hgetall(this.key(feedId));
    const num = (v: string | undefined) => (v ? Number(v) : undefined);
    return {
      feedId,
      lastAttempt: h.lastAttempt || undefined,
      lastSuccess: h.lastSuccess || undefined,
      status: num(h.status),
      errorClass: h.errorClass || undefined,
      error: h.error || undefined,
      consecutiveFailures: Number(h.consecutiveFailures ?? 0),
      failingSince: h.failingSince || undefined,
      itemsInFeed: num(h.itemsInFeed),
      newItems: num(h.newItems),
      itemsSeen: Number(h.itemsSeen ?? 0),
      nextPoll: h.nextPollAt ? { at: Date.parse(h.nextPollAt), reason: (h.nextPollReason || 'schedule') as NextPollReason } : undefined,
      flagged: h.flagged === '1',
      movedTo: h.movedTo || undefined,
      repeatedIds: num(h.repeatedIds),
    };
  }

  async getAll(feedIds: string[]): Promise<FeedHealth[]> {
    return Promise.all(feedIds.map((id) => this.get(id)));
  }
}
