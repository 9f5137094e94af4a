// Whether a delivery went out, one key per delivery (`sent:<delivery>`): a sent-marker (the time
// it was sent, 14 days), or while it is being sent, the claim of the job sending it (`claim …`,
// for as long as the job lock: a dead worker's claim expires with its jobs' locks). Before an
// alert is sent, one Lua step answers sent / being sent by another job / claimed now; after the
// send the marker replaces the claim. One key for both, so the answer is atomic on a cluster as
// on a single server, and a worker of the version before, which asks only EXISTS, reads a claim
// as "sent" and leaves the alert to the claim's holder.

import { Cluster } from 'ioredis';
import type { RedisKeys } from '../queue/keys.js';
import { withScripts, type RedisClient } from '../queue/redis.js';
import { LastDeliveryStore, type LastDelivery } from './last-delivery.js';

const SENT_TTL_SECONDS = 14 * 86_400;
const CLAIM_PREFIX = 'claim ';

/** The answer before a send: go ahead (claimed), skip (sent), or come back in retryInMs (busy). */
export type Claim = { state: 'claimed' } | { state: 'sent' } | { state: 'busy'; retryInMs: number };

/** Who claims, and for how long: a value unique to one run of one job, and its job lock's duration. */
export interface Claimant {
  holder: string;
  ttlMs: number;
}

// KEYS[1] the marker; ARGV[1] the claim, ARGV[2] its time to live (ms). 0: sent; -1: claimed
// now; else the claim's holder is another job, and this is how long its claim has left (ms).
const CLAIM = `
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return -1
end
if string.sub(v, 1, ${CLAIM_PREFIX.length}) ~= '${CLAIM_PREFIX}' then return 0 end
return math.max(redis.call('PTTL', KEYS[1]), 1)
`;

// KEYS[1] the marker; ARGV[1] the claim; ARGV[2] a time to live (ms), or '' to drop the claim.
const RENEW_OR_RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then return redis.call('DEL', KEYS[1]) end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
`;

type Scripted = {
  nwClaimSent(key: string, claim: string, ttlMs: number): Promise<number>;
  nwRenewOrReleaseSent(key: string, claim: string, ttlMs: number | ''): Promise<number>;
};
type WithScripts = RedisClient & Scripted;

const claimOf = (reply: number): Claim => (reply === 0 ? { state: 'sent' } : reply < 0 ? { state: 'claimed' } : { state: 'busy', retryInMs: reply });

export class SentMarkers {
  private readonly redis: WithScripts;
  private readonly lastDelivery: LastDeliveryStore;

  constructor(
    redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    this.redis = withScripts<WithScripts>(redis, {
      nwClaimSent: { keys: 1, lua: CLAIM },
      nwRenewOrReleaseSent: { keys: 1, lua: RENEW_OR_RELEASE },
    });
    this.lastDelivery = new LastDeliveryStore(redis, keys);
  }

  /** Sent, or being sent (a claim): digests and notices, whose job ids keep them to one job. */
  async isSent(deliveryId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.sent(deliveryId))) === 1;
  }

  /** The sent-marker, and the last delivery when given, in one round trip. */
  async markSent(deliveryId: string, at: string, last?: LastDelivery): Promise<void> {
    await this.afterSend(deliveryId, at, last);
  }

  async claim(deliveryId: string, by: Claimant): Promise<Claim> {
    return claimOf(await this.redis.nwClaimSent(this.keys.sent(deliveryId), claimValue(by), by.ttlMs));
  }

  /** Drops the claim (the send failed), unless another job holds it by now. */
  async release(deliveryId: string, by: Claimant): Promise<void> {
    await this.redis.nwRenewOrReleaseSent(this.keys.sent(deliveryId), claimValue(by), '');
  }

  /**
   * Runs `send` holding the claim: renewed every half of its time to live while the send lasts
   * (an SMTP server may take minutes to answer), so it never lapses under a live worker.
   */
  async holding<T>(deliveryId: string, by: Claimant, send: () => Promise<T>): Promise<T> {
    const key = this.keys.sent(deliveryId);
    const timer = setInterval(() => void this.redis.nwRenewOrReleaseSent(key, claimValue(by), by.ttlMs).catch(() => undefined), by.ttlMs / 2);
    try {
      return await send();
    } finally {
      clearInterval(timer);
    }
  }

  /**
   * After a send: its sent-marker (in place of the claim) and the last delivery, and the next
   * alert's claim when there is one, in one write and one round trip on a single server (a
   * cluster spreads the keys over nodes, where a pipeline cannot go: there, side by side).
   */
  async afterSend(deliveryId: string, at: string, last?: LastDelivery, next?: { deliveryId: string; by: Claimant }): Promise<Claim | undefined> {
    const sentKey = this.keys.sent(deliveryId);
    if (this.redis instanceof Cluster) {
      const [, , claimed] = await Promise.all([
        this.redis.set(sentKey, at, 'EX', SENT_TTL_SECONDS),
        last && this.lastDelivery.record(last),
        next && this.claim(next.deliveryId, next.by),
      ]);
      return claimed;
    }
    const pipeline = this.redis.pipeline() as unknown as ReturnType<RedisClient['pipeline']> & { [K in keyof Scripted]: (...args: Parameters<Scripted[K]>) => void };
    pipeline.set(sentKey, at, 'EX', SENT_TTL_SECONDS);
    if (last) this.lastDelivery.recordOn(pipeline, last);
    if (next) pipeline.nwClaimSent(this.keys.sent(next.deliveryId), claimValue(next.by), next.by.ttlMs);
    const replies = (await pipeline.exec()) ?? [];
    for (const [err] of replies) if (err) throw err;
    return next ? claimOf(replies.at(-1)![1] as number) : undefined;
  }
}

const claimValue = (by: Claimant) => `${CLAIM_PREFIX}${by.holder}`;
