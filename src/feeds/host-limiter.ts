// Per-host politeness across every worker process: at most `concurrency` requests in flight to
// one host and at least `minGapMs` between the starts of two of them. The state lives in Redis
// (a sorted set of leases and a "not before" time per host) and is changed only by one Lua
// script, so two workers never both take the last slot. A request that must wait for the gap
// (or for a pause within its wait budget) gets its slot and start time reserved in the same
// call, so requests queued at one host cost one round trip each instead of a race every gap
// (a pause set later does not hold back turns already reserved: at most `concurrency` of them).
// Leases expire, so a worker that dies mid-request gives its slot back by itself. A server's
// Retry-After pauses the whole host. (BullMQ's own limiter is per queue; per-group limits are
// BullMQ Pro only, hence this.)

import { randomUUID } from 'node:crypto';
import type { HostLimits, Settings } from '../queue/context.js';
import type { RedisKeys } from '../queue/keys.js';
import { withScripts, type RedisClient } from '../queue/redis.js';
import { FetchError, type HostGate } from './fetch.js';

// KEYS: 1 leases (sorted set token → expiry ms), 2 not-before time (ms)
// ARGV: 1 token, 2 concurrency, 3 min gap ms, 4 lease ms, 5 longest wait the caller accepts (ms)
// Returns {1, ms}: a lease was taken and the turn starts in ms (0: now); {0, ms}: the host is
// paused for longer than the caller would wait; {-1, ms}: every slot is taken (wait for a
// release, and at least ms: no turn starts before the gap after the last one reserved).
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local wait = math.max(0, tonumber(redis.call('GET', KEYS[2]) or '0') - now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return {-1, wait} end
if wait > tonumber(ARGV[5]) then return {0, wait} end
local lease = tonumber(ARGV[4])
redis.call('ZADD', KEYS[1], now + wait + lease, ARGV[1])
if redis.call('PTTL', KEYS[1]) < wait + lease then redis.call('PEXPIRE', KEYS[1], wait + lease) end
local gap = tonumber(ARGV[3])
if gap > 0 then redis.call('SET', KEYS[2], now + wait + gap, 'PX', wait + gap) end
return {1, wait}
`;

// Moves the host's "not before" time to now + ARGV[1] ms unless it is already later.
const PAUSE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilMs = now + tonumber(ARGV[1])
if tonumber(redis.call('GET', KEYS[1]) or '0') < untilMs then
  redis.call('SET', KEYS[1], untilMs, 'PX', ARGV[1])
end
return untilMs
`;

export interface HostLimiterOptions {
  /** Longest a lease is held when its holder never releases it (crash); above any request's timeout. */
  leaseMs: number;
  /** Longest pause a server's Retry-After may put on its host; default one day. */
  maxPauseMs?: number;
}

type WithScript = RedisClient & { nwHostAcquire(...args: (string | number)[]): Promise<[number, number]> };

export class HostLimiter {
  private readonly redis: WithScript;

  constructor(
    redis: RedisClient,
    private readonly names: RedisKeys,
    private readonly limits: HostLimits,
    private readonly options: HostLimiterOptions,
  ) {
    // EVALSHA: the script's text is not sent with every request.
    this.redis = withScripts<WithScript>(redis, { nwHostAcquire: { keys: 2, lua: ACQUIRE } });
  }

  /** The gate to hand to fetchUrl. */
  get gate(): HostGate {
    return (url) => this.acquire(url);
  }

  limitsFor(host: string): { concurrency: number; minGapMs: number } {
    const o = this.limits.overrides[host];
    return { concurrency: o?.concurrency ?? this.limits.concurrency, minGapMs: o?.minGapMs ?? this.limits.minGapMs };
  }

  /** Waits for a turn at the URL's host; returns the release. Throws FetchError "busy" after maxWaitMs. */
  async acquire(url: URL): Promise<(pauseMs?: number) => Promise<void>> {
    const host = url.hostname.toLowerCase();
    const { concurrency, minGapMs } = this.limitsFor(host);
    const [leases, notBefore] = this.keys(host);
    const token = randomUUID();
    const deadline = Date.now() + this.limits.maxWaitMs;
    for (;;) {
      const [granted, wait] = await this.redis.nwHostAcquire(leases, notBefore, token, concurrency, minGapMs, this.options.leaseMs, Math.max(0, deadline - Date.now()));
      if (granted === 1) {
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        return async (pauseMs?: number) => {
          if (pauseMs) await this.pause(host, Math.min(pauseMs, this.options.maxPauseMs ?? 86_400_000)).catch(() => undefined);
          // Not awaited: the request is done, and this connection sends the release before any
          // later command of this process. The lease expires anyway.
          this.redis.zrem(leases, token).catch(() => undefined);
        };
      }
      const sleep = granted === 0 ? wait : Math.max(wait, 25 + Math.random() * 100);
      if (Date.now() + sleep > deadline) {
        const why = granted === 0 ? `it is paused or rate-limited for ${Math.ceil(wait / 1000)} s more` : `${concurrency} request(s) to it are in flight`;
        throw new FetchError(
          'busy',
          `${url.origin}: no turn at ${host} within ${this.limits.maxWaitMs} ms (${why}); will try again at the next poll`,
          undefined,
          granted === 0 ? Math.ceil(wait / 1000) : undefined,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, sleep));
    }
  }

  /** No request to this host starts within the next `ms` (e.g. after a Retry-After). */
  async pause(host: string, ms: number): Promise<void> {
    if (ms <= 0) return;
    await this.redis.eval(PAUSE, 1, this.keys(host.toLowerCase())[1], Math.ceil(ms));
  }

  private keys(host: string): [string, string] {
    // The hash tag keeps both keys of a host in one Redis Cluster slot, as the script needs.
    return [this.names.hostLeases(host), this.names.hostNotBefore(host)];
  }
}

/** The limiter for a worker context: every fetch (feeds and article pages) should go through it. */
export function hostLimiter(redis: RedisClient, keys: RedisKeys, settings: Settings): HostLimiter {
  const leaseMs = Math.max(settings.feedTimeoutMs, settings.pageTimeoutMs) + 30_000;
  return new HostLimiter(redis, keys, settings.hosts, { leaseMs, maxPauseMs: settings.maxRetryAfterMs });
}
