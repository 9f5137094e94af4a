// Subscriptions and rules created at run time (subscribe page, API), kept in Redis beside the
// YAML ones. Rules of this store:
// - A confirmed subscription is one field of one hash; its address and "same address + query"
//   indexes change with it, and every change appends {kind, id} to the change stream that each
//   process's directory follows (directory.ts) — all in one Lua script, so a reader never sees a
//   record without its change-log entry or the other way round.
// - An unconfirmed subscription is a key of its own with a TTL: it expires by itself.
// - Updates are compare-and-set against the record the caller read, so two concurrent edits
//   cannot silently overwrite each other (the loser is told, and retries on fresh data).

import { createHash } from 'node:crypto';
import type { RuleConfig, SubscriptionConfig } from '../config/schema.js';
import type { RedisKeys } from '../queue/keys.js';
import { withScripts, type RedisClient } from '../queue/redis.js';

/** A subscription as stored: the YAML shape plus when and how it came about. */
export interface StoredSubscription extends SubscriptionConfig {
  createdAt: string;
  confirmedAt?: string;
  origin: 'web' | 'api';
}

/** A rule as stored: the YAML shape plus when it was created. */
export interface StoredRule extends RuleConfig {
  createdAt: string;
}

export type ChangeKind = 'subscription' | 'rule';
export interface DirectoryChange {
  kind: ChangeKind;
  id: string;
}

/** Roughly how many change-log entries are kept; a process further behind reloads everything. */
export const CHANGE_LOG_LENGTH = 10_000;

export class ConcurrentChangeError extends Error {
  constructor(kind: ChangeKind, id: string) {
    super(`${kind} "${id}" was changed by someone else meanwhile; read it again and repeat the change`);
  }
}

// KEYS: 1 hash, 2 changes, 3 old address set, 4 old same key, 5 new address set, 6 new same key,
//       7 pending key, 8 pending-by-address set, 9 pending index
// ARGV: 1 id, 2 expected current JSON ('' = none), 3 new JSON ('' = delete), 4 stream length,
//       5 whether there is an old record to unindex, 6 whether to index a new one
const WRITE_SUBSCRIPTION = `
local id = ARGV[1]
local current = redis.call('HGET', KEYS[1], id) or ''
if current ~= ARGV[2] then return 0 end
if ARGV[5] == '1' then
  redis.call('SREM', KEYS[3], id)
  if redis.call('GET', KEYS[4]) == id then redis.call('DEL', KEYS[4]) end
end
if ARGV[3] == '' then
  redis.call('HDEL', KEYS[1], id)
else
  redis.call('HSET', KEYS[1], id, ARGV[3])
  if ARGV[6] == '1' then
    redis.call('SADD', KEYS[5], id)
    redis.call('SET', KEYS[6], id)
  end
end
redis.call('DEL', KEYS[7])
redis.call('ZREM', KEYS[8], id)
redis.call('ZREM', KEYS[9], id)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'kind', 'subscription', 'id', id)
return 1
`;

// KEYS: 1 pending key, 2 pending-by-address set, 3 address set, 4 same key, 5 pending index
// ARGV: 1 id, 2 JSON, 3 ttl ms, 4 now ms, 5 cap per address
// Returns {outcome, id}: created | same (the existing subscription's id) | cap.
const CREATE_PENDING = `
local existing = redis.call('GET', KEYS[4])
if existing then return {'same', existing} end
local now, ttl = tonumber(ARGV[4]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) + redis.call('SCARD', KEYS[3]) >= tonumber(ARGV[5]) then return {'cap', ''} end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
redis.call('SET', KEYS[4], ARGV[1], 'PX', ttl)
redis.call('ZADD', KEYS[2], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now)
redis.call('ZADD', KEYS[5], now + ttl, ARGV[1])
return {'created', ARGV[1]}
`;

// KEYS: 1 pending key, 2 same key, 3 pending-by-address set, 4 pending index. ARGV: 1 id.
const DROP_PENDING = `
if redis.call('DEL', KEYS[1]) == 0 then return 0 end
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
return 1
`;

// KEYS: 1 hash, 2 changes. ARGV: 1 id, 2 expected JSON ('' = none), 3 new JSON ('' = delete), 4 length
const WRITE_RULE = `
local current = redis.call('HGET', KEYS[1], ARGV[1]) or ''
if current ~= ARGV[2] then return 0 end
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'kind', 'rule', 'id', ARGV[1])
return 1
`;

// KEYS: 1 counter. ARGV: 1 limit, 2 window seconds. Counts one more unless the limit is reached.
const COUNT_MAIL = `
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then return 0 end
redis.call('INCR', KEYS[1])
if n == 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return 1
`;

type WithScripts = RedisClient & {
  nwWriteSubscription(...args: (string | number)[]): Promise<number>;
  nwCreatePending(...args: (string | number)[]): Promise<[string, string]>;
  nwDropPending(...args: string[]): Promise<number>;
  nwWriteRule(...args: (string | number)[]): Promise<number>;
  nwCountMail(...args: (string | number)[]): Promise<number>;
};

/** Addresses compare case-insensitively; keys hold a hash, never the address itself. */
export function addressHash(address: string): string {
  return createHash('sha256').update(`address\u0000${address.trim().toLowerCase()}`).digest('base64url').slice(0, 22);
}

/** Who a subscription goes to: its email address or its webhook URL. */
export function ownerOf(sub: Pick<SubscriptionConfig, 'email' | 'webhook'>): string {
  return sub.email ?? sub.webhook?.url ?? '';
}

/**
 * What makes two subscriptions "the same": the owner and what they listen to (the query with its
 * spacing normalised, or the rule ids), whatever the frequency.
 */
export function sameHash(sub: Pick<SubscriptionConfig, 'email' | 'webhook' | 'keywords' | 'rules'>): string {
  const listensTo = [(sub.keywords ?? '').trim().replace(/\s+/g, ' '), [...sub.rules].sort().join(',')].join('\u0000');
  return createHash('sha256').update(`same\u0000${ownerOf(sub).trim().toLowerCase()}\u0000${listensTo}`).digest('base64url').slice(0, 22);
}

export type PendingOutcome =
  | { outcome: 'created'; id: string }
  /** The same address already has this query: the existing subscription, pending or confirmed. */
  | { outcome: 'same'; id: string }
  /** The address has as many subscriptions as it may. */
  | { outcome: 'cap' };

export class SubscriptionStore {
  private readonly redis: WithScripts;

  constructor(
    redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    this.redis = withScripts<WithScripts>(redis, {
      nwWriteSubscription: { keys: 9, lua: WRITE_SUBSCRIPTION },
      nwCreatePending: { keys: 5, lua: CREATE_PENDING },
      nwDropPending: { keys: 4, lua: DROP_PENDING },
      nwWriteRule: { keys: 2, lua: WRITE_RULE },
      nwCountMail: { keys: 1, lua: COUNT_MAIL },
    });
  }

  // --- subscriptions ---

  async all(): Promise<StoredSubscription[]> {
    return Object.values(await this.redis.hgetall(this.keys.directorySubscriptions())).map((json) => JSON.parse(json) as StoredSubscription);
  }

  /** Confirmed subscriptions by id, in one round trip; missing ids are left out. */
  async some(ids: string[]): Promise<Map<string, StoredSubscription>> {
    return this.records<StoredSubscription>(this.keys.directorySubscriptions(), ids);
  }

  async get(id: string): Promise<StoredSubscription | undefined> {
    const json = await this.redis.hget(this.keys.directorySubscriptions(), id);
    return json ? (JSON.parse(json) as StoredSubscription) : undefined;
  }

  async getPending(id: string): Promise<StoredSubscription | undefined> {
    const json = await this.redis.get(this.keys.pendingSubscription(id));
    return json ? (JSON.parse(json) as StoredSubscription) : undefined;
  }

  /** How many subscriptions wait for their confirmation (one ZCOUNT; expired ones not counted). */
  async countPending(): Promise<number> {
    return this.redis.zcount(this.keys.pendingIndex(), Date.now(), '+inf');
  }

  /** Every unconfirmed subscription not yet expired. */
  async allPending(): Promise<StoredSubscription[]> {
    const ids = await this.redis.zrangebyscore(this.keys.pendingIndex(), Date.now(), '+inf');
    if (ids.length === 0) return [];
    const found = await Promise.all(ids.map((id) => this.getPending(id)));
    return found.filter((s): s is StoredSubscription => s !== undefined);
  }

  /** The id of the subscription, pending or confirmed, with the same owner and query, if any. */
  async sameAs(sub: Pick<SubscriptionConfig, 'email' | 'webhook' | 'keywords' | 'rules'>): Promise<string | undefined> {
    return (await this.redis.get(this.keys.sameSubscription(sameHash(sub)))) ?? undefined;
  }

  /** The ids of an address's confirmed subscriptions. */
  async idsOf(address: string): Promise<string[]> {
    return this.redis.smembers(this.keys.subscriptionsByAddress(addressHash(address)));
  }

  /** Keeps an unconfirmed subscription for `ttlMs`, unless the same exists or the cap is reached. */
  async createPending(sub: StoredSubscription, ttlMs: number, capPerAddress: number): Promise<PendingOutcome> {
    const owner = addressHash(ownerOf(sub));
    const [outcome, id] = await this.redis.nwCreatePending(
      this.keys.pendingSubscription(sub.id),
      this.keys.pendingByAddress(owner),
      this.keys.subscriptionsByAddress(owner),
      this.keys.sameSubscription(sameHash(sub)),
      this.keys.pendingIndex(),
      sub.id,
      JSON.stringify(sub),
      ttlMs,
      Date.now(),
      capPerAddress,
    );
    return outcome === 'cap' ? { outcome: 'cap' } : { outcome: outcome as 'created' | 'same', id };
  }

  /** Forgets an unconfirmed subscription; false when there was none. */
  async dropPending(sub: StoredSubscription): Promise<boolean> {
    return (
      (await this.redis.nwDropPending(
        this.keys.pendingSubscription(sub.id),
        this.keys.sameSubscription(sameHash(sub)),
        this.keys.pendingByAddress(addressHash(ownerOf(sub))),
        this.keys.pendingIndex(),
        sub.id,
      )) === 1
    );
  }

  /**
   * Writes a confirmed subscription: a new one (`before` undefined; an unconfirmed one of the same
   * id is taken over), a change (`before` as read), or a deletion (`after` undefined). Throws
   * ConcurrentChangeError when the stored record is no longer `before`.
   */
  async write(id: string, before: StoredSubscription | undefined, after: StoredSubscription | undefined): Promise<void> {
    // Records are written by JSON.stringify and read by JSON.parse, so the text compares exactly.
    const expected = before ? JSON.stringify(before) : '';
    const oldOwner = addressHash(before ? ownerOf(before) : '');
    const newOwner = addressHash(after ? ownerOf(after) : '');
    const pendingOwner = addressHash(ownerOf(after ?? before ?? { email: '' }));
    const ok = await this.redis.nwWriteSubscription(
      this.keys.directorySubscriptions(),
      this.keys.directoryChanges(),
      this.keys.subscriptionsByAddress(oldOwner),
      this.keys.sameSubscription(before ? sameHash(before) : ''),
      this.keys.subscriptionsByAddress(newOwner),
      this.keys.sameSubscription(after ? sameHash(after) : ''),
      this.keys.pendingSubscription(id),
      this.keys.pendingByAddress(pendingOwner),
      this.keys.pendingIndex(),
      id,
      expected,
      after ? JSON.stringify(after) : '',
      CHANGE_LOG_LENGTH,
      before ? '1' : '0',
      after ? '1' : '0',
    );
    if (ok !== 1) throw new ConcurrentChangeError('subscription', id);
  }

  /**
   * Counts one confirmation or manage-link email to an address; false (nothing counted) once
   * `limit` were sent within the last day.
   */
  async countMail(address: string, limit: number): Promise<boolean> {
    return (await this.redis.nwCountMail(this.keys.confirmationsSent(addressHash(address)), limit, 86_400)) === 1;
  }

  // --- rules ---

  async allRules(): Promise<StoredRule[]> {
    return Object.values(await this.redis.hgetall(this.keys.directoryRules())).map((json) => JSON.parse(json) as StoredRule);
  }

  async someRules(ids: string[]): Promise<Map<string, StoredRule>> {
    return this.records<StoredRule>(this.keys.directoryRules(), ids);
  }

  async getRule(id: string): Promise<StoredRule | undefined> {
    return (await this.someRules([id])).get(id);
  }

  /** As write(), for rules. */
  async writeRule(id: string, before: StoredRule | undefined, after: StoredRule | undefined): Promise<void> {
    const expected = before ? JSON.stringify(before) : '';
    const ok = await this.redis.nwWriteRule(
      this.keys.directoryRules(),
      this.keys.directoryChanges(),
      id,
      expected,
      after ? JSON.stringify(after) : '',
      CHANGE_LOG_LENGTH,
    );
    if (ok !== 1) throw new ConcurrentChangeError('rule', id);
  }

  private async records<T>(hash: string, ids: string[]): Promise<Map<string, T>> {
    if (ids.length === 0) return new Map();
    const found = await this.redis.hmget(hash, ...ids);
    return new Map(ids.flatMap((id, i) => (found[i] ? [[id, JSON.parse(found[i]) as T]] : [])));
  }

  // --- the change log ---

  /** The id of the newest change-log entry ('0-0' when there is none): read before a full load. */
  async lastChange(): Promise<string> {
    const [newest] = await this.redis.xrevrange(this.keys.directoryChanges(), '+', '-', 'COUNT', 1);
    return newest?.[0] ?? '0-0';
  }
}
