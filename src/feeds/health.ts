// Per-feed health in Redis (one hash per feed, `<prefix>:health:<feed>`): last attempt and
// success, HTTP status, error class and message, consecutive failures and since when, items in
// the feed, new items taken in (last poll and in total), the next poll and why, a permanent
// redirect seen, items dropped for repeating another item's id, and the long-failure flag. Written by the poll worker; read by `run-once`, the
// poll worker's backoff check and `newswatch feeds`.

import type { RedisKeys } from '../queue/keys.js';
import type { RedisClient } from '../queue/redis.js';
import type { NextPoll, NextPollReason } from './backoff.js';

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

  async recordSuccess(feedId: string, r: PollSuccess, at = new Date()): Promise<void> {
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
    const multi = this.redis.multi().hset(key, fields).hincrby(key, 'itemsSeen', r.newItems).hdel(key, 'errorClass', 'error', 'failingSince', 'flagged');
    if (r.movedTo) multi.hset(key, 'movedTo', r.movedTo);
    else multi.hdel(key, 'movedTo');
    await multi.exec();
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
