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
import { lastDeliveryArgs, LastDeliveryStore, recordLastDeliveryLua, type LastDelivery } from './last-delivery.js';

const SENT_TTL_SECONDS = 14 * 86_400;
const CLAIM_PREFIX = 'claim ';

/** The answer before a send: go ahead (claimed), skip (sent), or come back in retryInMs (busy). */
export type Claim = { state: 'claimed' } | { state: 'sent' } | { state: 'busy'; retryInMs: number };

/** Who claims, and for how long: a value unique to one run of one job, and its job lock's duration. */
export interface Claimant {
  holder: string;
  ttlMs: number;
}

/**
 * Lua that claims the marker `key` for the claim in `claim` for `ttl` ms, unless it is there:
 * 0: sent; -1: claimed now; else the claim's holder is another job, and this is how long its
 * claim has left (ms).
 */
const claimLua = (key: string, claim: string, ttl: string) => `
local v = redis.call('GET', ${key})
if not v then
  redis.call('SET', ${key}, ${claim}, 'PX', ${ttl})
  return -1
end
if string.sub(v, 1, ${CLAIM_PREFIX.length}) ~= '${CLAIM_PREFIX}' then return 0 end
return math.max(redis.call('PTTL', ${key}), 1)
`;

// KEYS[1] the marker; ARGV[1] the claim, ARGV[2] its time to live (ms).
const CLAIM = claimLua('KEYS[1]', 'ARGV[1]', 'ARGV[2]');

// After a send, on a single server: KEYS[1] the marker of what was sent, KEYS[2] the last-delivery
// hash, KEYS[3] the next alert's marker. ARGV[1] when it was sent, ARGV[2] the marker's time to
// live (s), ARGV[3] the next alert's claim ('' for none), ARGV[4] its time to live (ms),
// ARGV[5…11] the last delivery ('' for none). -2 when there is no next alert, else as CLAIM.
const AFTER_SEND = `
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
if ARGV[5] ~= '' then
${recordLastDeliveryLua('KEYS[2]', 5)}
end
if ARGV[3] == '' then return -2 end
${claimLua('KEYS[3]', 'ARGV[3]', 'ARGV[4]')}`;

// KEYS[1] the marker; ARGV[1] the claim; ARGV[2] a time to live (ms), or '' to drop the claim.
const RENEW_OR_RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then return redis.call('DEL', KEYS[1]) end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
`;

type Scripted = {
  nwClaimSent(key: string, claim: string, ttlMs: number): Promise<number>;
  nwRenewOrReleaseSent(key: string, claim: string, ttlMs: number | ''): Promise<number>;
  nwAfterSent(...args: (string | number)[]): Promise<number>;
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
      nwAfterSent: { keys: 3, lua: AFTER_SEND },
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
   * alert's claim when there is one: on a single server one script, so one write and one round
   * trip; a cluster spreads the keys over nodes, where one script cannot go: there, side by side.
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
    const reply = await this.redis.nwAfterSent(
      sentKey,
      this.keys.lastDelivery(),
      next ? this.keys.sent(next.deliveryId) : sentKey,
      at,
      SENT_TTL_SECONDS,
      next ? claimValue(next.by) : '',
      next?.by.ttlMs ?? 0,
      ...(last ? lastDeliveryArgs(last) : NO_DELIVERY),
    );
    return next ? claimOf(reply) : undefined;
  }
}

const NO_DELIVERY = Array.from({ length: 7 }, () => '');
const claimValue = (by: Claimant) => `${CLAIM_PREFIX}${by.holder}`;
