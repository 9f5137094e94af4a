// The last alert or digest delivered, in one small Redis hash that every deliver worker
// overwrites after a send, for `newswatch status`. A later send never loses to an earlier one
// that finishes after it: the hash is replaced only by a delivery at least as recent (one Lua step).

import type { RedisKeys } from '../queue/keys.js';
import { withScripts, type RedisClient } from '../queue/redis.js';

export interface LastDelivery {
  /** When it was sent (ISO 8601). */
  at: string;
  subscriptionId: string;
  kind: 'alert' | 'digest';
  /** The story id of an alert, the digest id of a digest. */
  storyId: string;
  /** The article's title (alert) or "digest of N stories". */
  title: string;
  channel: 'email' | 'webhook';
  /** The address or webhook URL (shown without credentials by the caller). */
  to: string;
}

const FIELDS = ['at', 'subscriptionId', 'kind', 'storyId', 'title', 'channel', 'to'] as const;

/**
 * Lua that records the delivery in ARGV[first…first+6] (the fields in FIELDS order) into the
 * hash `key`, unless one at least as recent is there (ISO 8601 UTC times compare as strings):
 * this store's script, and a part of another store's that writes it beside its own keys.
 */
export function recordLastDeliveryLua(key: string, first: number): string {
  const arg = (i: number) => `ARGV[${first + i}]`;
  return `
local at = redis.call('HGET', ${key}, 'at')
if not (at and at > ${arg(0)}) then
  redis.call('HSET', ${key}, ${FIELDS.map((f, i) => `'${f}', ${arg(i)}`).join(', ')})
end
`;
}

/** The script arguments of a delivery, in FIELDS order. */
export const lastDeliveryArgs = (d: LastDelivery): string[] => FIELDS.map((f) => d[f]);

// KEYS[1] the hash; ARGV: the fields in FIELDS order.
const RECORD = recordLastDeliveryLua('KEYS[1]', 1);

type WithRecord = RedisClient & { nwRecordLastDelivery(...args: string[]): Promise<number> };

export class LastDeliveryStore {
  private readonly redis: WithRecord;

  constructor(
    redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    // EVALSHA: written after every delivery, so the script's text is not sent each time.
    this.redis = withScripts<WithRecord>(redis, { nwRecordLastDelivery: { keys: 1, lua: RECORD } });
  }

  async record(d: LastDelivery): Promise<void> {
    await this.redis.nwRecordLastDelivery(this.keys.lastDelivery(), ...lastDeliveryArgs(d));
  }

  async get(): Promise<LastDelivery | undefined> {
    const h = await this.redis.hgetall(this.keys.lastDelivery());
    if (!h.at) return undefined;
    return {
      at: h.at,
      subscriptionId: h.subscriptionId ?? '',
      kind: h.kind === 'digest' ? 'digest' : 'alert',
      storyId: h.storyId ?? '',
      title: h.title ?? '',
      channel: h.channel === 'webhook' ? 'webhook' : 'email',
      to: h.to ?? '',
    };
  }
}
