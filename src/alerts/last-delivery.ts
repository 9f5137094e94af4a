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

// KEYS[1] the hash; ARGV: the fields in FIELDS order. ISO 8601 UTC times compare as strings.
const RECORD = `
local at = redis.call('HGET', KEYS[1], 'at')
if at and at > ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'at', ARGV[1], 'subscriptionId', ARGV[2], 'kind', ARGV[3], 'storyId', ARGV[4], 'title', ARGV[5], 'channel', ARGV[6], 'to', ARGV[7])
return 1
`;

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
    await this.redis.nwRecordLastDelivery(this.keys.lastDelivery(), ...FIELDS.map((f) => d[f]));
  }

  /** The same as a command of `pipeline` (of this store's client), sent with the caller's others. */
  recordOn(pipeline: ReturnType<RedisClient['pipeline']>, d: LastDelivery): void {
    (pipeline as unknown as { nwRecordLastDelivery(...args: string[]): void }).nwRecordLastDelivery(this.keys.lastDelivery(), ...FIELDS.map((f) => d[f]));
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
