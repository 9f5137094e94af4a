// Per-feed health in Redis (one hash per feed, `<prefix>:health:<feed>`): last attempt and
// success, HTTP status, error class and message, consecutive failures and since when, items in
// the feed, new items taken in (last poll and in total), the next poll and why, a permanent
// redirect seen, items dropped for repeating another item's id, the long-failure flag, and
// whether the operator was told of this run of failures (claimed by one process with HSETNX,
// cleared by the success that ends the run). Written by the poll worker; read by `run-once`, the
// poll worker's backoff check, `newswatch feeds` and `newswatch status`.

import type { RedisKeys } from '../queue/keys.js';
import { withScripts, type RedisClient } from '../queue/redis.js';
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

/** A run of failures a success ended, of which the operator had been told. */
export interface Recovered {
  failingSince: string;
  failures: number;
}

/** The script arguments of a success (recordSuccessLua reads them in this order). */
export function recordSuccessArgs(r: PollSuccess, at: Date): string[] {
  const iso = at.toISOString();
  return [iso, String(r.status), String(r.newItems), new Date(r.next.at).toISOString(), r.next.reason, r.itemsInFeed === undefined ? '' : String(r.itemsInFeed), r.repeatedIds === undefined ? '' : String(r.repeatedIds), r.movedTo ?? ''];
}

/**
 * Lua that records a success (recordSuccessArgs at ARGV[first…first+7]) in the health hash `key`
 * and leaves in the local `recovered` what recoveredOf reads: whether it removed the
 * operator-told flag, and the run of failures it ended. This store's script, and a part of the
 * one that ends a poll (poll-state.ts). One script, so the reads and writes are one step.
 */
export function recordSuccessLua(key: string, first: number): string {
  const arg = (i: number) => `ARGV[${first + i}]`;
  return `
local prior = redis.call('HMGET', ${key}, 'failingSince', 'consecutiveFailures')
local recovered = {redis.call('HDEL', ${key}, '${OPERATOR_TOLD}'), prior[1] or '', prior[2] or ''}
redis.call('HSET', ${key}, 'lastAttempt', ${arg(0)}, 'lastSuccess', ${arg(0)}, 'status', ${arg(1)}, 'newItems', ${arg(2)}, 'consecutiveFailures', 0, 'nextPollAt', ${arg(3)}, 'nextPollReason', ${arg(4)})
if ${arg(5)} ~= '' then redis.call('HSET', ${key}, 'itemsInFeed', ${arg(5)}) end
if ${arg(6)} ~= '' then redis.call('HSET', ${key}, 'repeatedIds', ${arg(6)}) end
redis.call('HINCRBY', ${key}, 'itemsSeen', ${arg(2)})
redis.call('HDEL', ${key}, 'errorClass', 'error', 'failingSince', 'flagged')
if ${arg(7)} ~= '' then redis.call('HSET', ${key}, 'movedTo', ${arg(7)}) else redis.call('HDEL', ${key}, 'movedTo') end
`;
}

/** The run of failures in a recordSuccessLua reply, when this success ended one the operator was told of. */
export function recoveredOf(reply: unknown, at: Date): Recovered | undefined {
  const [told, failingSince, failures] = reply as [number, string, string];
  if (told !== 1) return undefined;
  return { failingSince: failingSince || at.toISOString(), failures: Number(failures || 0) };
}

// KEYS[1] the health hash; ARGV: recordSuccessArgs.
const RECORD_SUCCESS = `${recordSuccessLua('KEYS[1]', 1)}
return recovered`;

type WithScript = RedisClient & { nwRecordPollSuccess(key: string, ...args: string[]): Promise<unknown> };

export class HealthStore {
  private readonly redis: WithScript;

  constructor(
    redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    // A script, not MULTI: ioredis builds a pipeline object for each MULTI, copying in every
    // command defined on the client (BullMQ's scripts too), which cost more than the round trip.
    this.redis = withScripts<WithScript>(redis, { nwRecordPollSuccess: { keys: 1, lua: RECORD_SUCCESS } });
  }

  private key(feedId: string): string {
    return this.keys.health(feedId);
  }

  /**
   * Records a successful poll. When it ends a run of failures the operator was told of, returns
   * that run (exactly one concurrent caller gets it: the one whose HDEL removed the flag).
   */
  async recordSuccess(feedId: string, r: PollSuccess, at = new Date()): Promise<Recovered | undefined> {
    return recoveredOf(await this.redis.nwRecordPollSuccess(this.key(feedId), ...recordSuccessArgs(r, at)), at);
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
    return healthOf(feedId, await this.redis.hgetall(this.key(feedId)));
  }

  async getAll(feedIds: string[]): Promise<FeedHealth[]> {
    return Promise.all(feedIds.map((id) => this.get(id)));
  }
}

/** A feed's health from its hash's fields (HGETALL's). */
export function healthOf(feedId: string, h: Record<string, string | undefined>): FeedHealth {
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
