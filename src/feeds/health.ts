// Per-feed health in Redis (one hash per feed): last attempt and success, HTTP status, error
// class and message, consecutive failures, items in the feed and new items taken in. Written by
// the poll worker, read by `run-once`'s summary and the feeds table.

import type { Redis } from 'ioredis';

export interface FeedHealth {
  feedId: string;
  lastAttempt?: string;
  lastSuccess?: string;
  status?: number;
  errorClass?: string;
  error?: string;
  consecutiveFailures: number;
  itemsInFeed?: number;
  newItems?: number;
}

export class HealthStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(feedId: string): string {
    return `${this.prefix}:health:${feedId}`;
  }

  async recordSuccess(feedId: string, r: { status: number; itemsInFeed: number; newItems: number }, at = new Date()): Promise<void> {
    const key = this.key(feedId);
    await this.redis
      .multi()
      .hset(key, {
        lastAttempt: at.toISOString(),
        lastSuccess: at.toISOString(),
        status: r.status,
        itemsInFeed: r.itemsInFeed,
        newItems: r.newItems,
        consecutiveFailures: 0,
      })
      .hdel(key, 'errorClass', 'error')
      .exec();
  }

  async recordFailure(feedId: string, r: { status?: number; errorClass: string; error: string }, at = new Date()): Promise<number> {
    const key = this.key(feedId);
    const results = await this.redis
      .multi()
      .hset(key, { lastAttempt: at.toISOString(), errorClass: r.errorClass, error: r.error, status: r.status ?? '' })
      .hincrby(key, 'consecutiveFailures', 1)
      .exec();
    return Number(results?.[1]?.[1] ?? 1);
  }

  async get(feedId: string): Promise<FeedHealth> {
    const h = await this.redis.hgetall(this.key(feedId));
    return {
      feedId,
      lastAttempt: h.lastAttempt || undefined,
      lastSuccess: h.lastSuccess || undefined,
      status: h.status ? Number(h.status) : undefined,
      errorClass: h.errorClass || undefined,
      error: h.error || undefined,
      consecutiveFailures: Number(h.consecutiveFailures ?? 0),
      itemsInFeed: h.itemsInFeed ? Number(h.itemsInFeed) : undefined,
      newItems: h.newItems ? Number(h.newItems) : undefined,
    };
  }
}
