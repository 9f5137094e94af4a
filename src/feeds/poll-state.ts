// What a poll reads of its feed's state in Redis when it starts (the lock, health, validators
// and the items of the last read) and writes when it ends (the items seen, validators, health,
// the lock given back). Each was a round trip of its own, about ten per poll, and in service,
// where most polls find one new item or none, those round trips were most of a poll's CPU on
// the main thread (a socket write and a wake-up each). On a single server each end is now one
// script call, composed of the Lua of the stores that own the keys (poll-lock, health,
// validators, seen); a cluster spreads the keys over slots no one script may span, so there the
// stores' own calls run one after the other, as before.

import { Cluster } from 'ioredis';
import type { RedisKeys } from '../queue/keys.js';
import { withScripts, type RedisClient } from '../queue/redis.js';
import { healthOf, HealthStore, recordSuccessArgs, recordSuccessLua, recoveredOf, type FeedHealth, type PollSuccess, type Recovered } from './health.js';
import { PollLock, releaseLua, takeLua } from './poll-lock.js';
import { LAST_REMEMBERED_MAX, lastRememberedLua, rememberArgs, rememberLua, SeenStore } from './seen.js';
import { marksOf, saveMarksArgs, saveMarksLua, ValidatorStore, type FeedMarks } from './validators.js';

/** What a poll holding its feed's lock knows when it starts. */
export interface PollStart {
  token: string;
  health: FeedHealth;
  marks: FeedMarks;
  /** The ids the feed's last read remembered (SeenStore.lastRemembered); empty before its first read. */
  known: string[];
}

/** What a poll that read its feed writes at its end. */
export interface PollEnd {
  /** Items to remember (every item in the feed; SeenStore.remember), when it read them. */
  remember?: string[];
  /** The feed's marks to save, when they changed. */
  marks?: FeedMarks;
  success: PollSuccess;
}

// KEYS: 1 lock, 2 health, 3 validators, 4 seen set. ARGV: 1 token, 2 lock ms, 3 most ids.
// Nil when the lock is held; else the health and validator hashes' fields and the last ids.
const START = `${takeLua('KEYS[1]', 'ARGV[1]', 'ARGV[2]')}
if not taken then return false end
${lastRememberedLua('KEYS[4]', 'ARGV[3]')}
return {redis.call('HGETALL', KEYS[2]), redis.call('HGETALL', KEYS[3]), remembered}`;

// KEYS: 1 seen set, 2 validators, 3 health, 4 lock. ARGV: 1 token, 2–5 saveMarksArgs,
// 6–13 recordSuccessArgs, 14… rememberArgs (the ids last). Returns recordSuccessLua's reply.
const END = `${rememberLua('KEYS[1]', 14)}
${saveMarksLua('KEYS[2]', 2)}
${recordSuccessLua('KEYS[3]', 6)}
${releaseLua('KEYS[4]', 'ARGV[1]')}
return recovered`;

type Scripted = RedisClient & {
  nwPollStart(...args: (string | number)[]): Promise<[string[], string[], string[]] | null>;
  nwPollEnd(...args: (string | number)[]): Promise<unknown>;
};

/** A flat HGETALL reply (field, value, …) as an object. */
function fieldsOf(flat: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  return fields;
}

export class PollState {
  private readonly redis: Scripted;
  private readonly lock: PollLock;
  private readonly health: HealthStore;
  private readonly validators: ValidatorStore;
  private readonly seen: SeenStore;
  private readonly cluster: boolean;

  constructor(
    redis: RedisClient,
    private readonly keys: RedisKeys,
    /** settings.seenRetentionMs */
    private readonly retainMs: number,
  ) {
    this.redis = withScripts<Scripted>(redis, { nwPollStart: { keys: 4, lua: START }, nwPollEnd: { keys: 4, lua: END } });
    this.cluster = redis instanceof Cluster;
    this.lock = new PollLock(redis, keys);
    this.health = new HealthStore(redis, keys);
    this.validators = new ValidatorStore(redis, keys);
    this.seen = new SeenStore(redis, keys, retainMs);
  }

  /**
   * Takes the feed's lock for at most `ttlMs` and reads the feed's state; undefined when another
   * poll holds the lock and still did after waiting up to `waitMs` (0: do not wait).
   */
  async start(feedId: string, ttlMs: number, waitMs = 0): Promise<PollStart | undefined> {
    if (this.cluster) {
      const token = await this.lock.take(feedId, ttlMs, waitMs);
      if (token === undefined) return undefined;
      const [health, marks, known] = await Promise.all([this.health.get(feedId), this.validators.get(feedId), this.seen.lastRemembered(feedId)]);
      return { token, health, marks, known };
    }
    const k = this.keys;
    const taken = await this.lock.takeWith(feedId, ttlMs, waitMs, async (lockKey, token, ttl) => {
      const reply = await this.redis.nwPollStart(lockKey, k.health(feedId), k.validators(feedId), k.seen(feedId), token, ttl, LAST_REMEMBERED_MAX);
      return reply ?? undefined;
    });
    if (!taken) return undefined;
    const [health, marks, known] = taken.value;
    return { token: taken.token, health: healthOf(feedId, fieldsOf(health)), marks: marksOf(fieldsOf(marks)), known };
  }

  /**
   * Records the poll's success and gives the lock back: the items first, then the marks, then
   * the health (a poll killed in between reads its items again, finding them known). Returns the
   * run of failures it ended, when the operator had been told of it (HealthStore.recordSuccess).
   */
  async finish(feedId: string, token: string, end: PollEnd, at = new Date()): Promise<Recovered | undefined> {
    const remember = end.remember ?? [];
    if (this.cluster) {
      await this.seen.remember(feedId, remember, at.getTime());
      if (end.marks) await this.validators.save(feedId, end.marks);
      const recovered = await this.health.recordSuccess(feedId, end.success, at);
      await this.release(feedId, token);
      return recovered;
    }
    const k = this.keys;
    const reply = await this.redis.nwPollEnd(
      k.seen(feedId),
      k.validators(feedId),
      k.health(feedId),
      k.pollLock(feedId),
      token,
      ...saveMarksArgs(end.marks),
      ...recordSuccessArgs(end.success, at),
      ...rememberArgs(remember, at.getTime(), this.retainMs),
    );
    return recoveredOf(reply, at);
  }

  /** The ids not yet remembered for this feed, in the given order (SeenStore.filterNew). */
  filterNew(feedId: string, ids: string[]): Promise<string[]> {
    return this.seen.filterNew(feedId, ids);
  }

  /** Gives the lock back (a poll that ends without finish: skipped, failed). */
  async release(feedId: string, token: string): Promise<void> {
    await this.lock.release(feedId, token);
  }
}
