// Per-host politeness across every worker process: at most `concurrency` requests in flight to
// one host and at least `minGapMs` between the starts of two of them. The state lives in Redis
// (a sorted set of leases and a "not before" time per host) and is changed only by one Lua
// script, so two workers never both take the last slot. Leases expire, so a worker that dies
// mid-request gives its slot back by itself. A server's Retry-After pauses the whole host.
// (BullMQ's own limiter is per queue; per-group limits are BullMQ Pro only, hence this.)

import { randomUUID } from 'node:crypto';
import type { HostLimits, Settings } from '../queue/context.js';
import type { RedisKeys } from '../queue/keys.js';
import type { RedisClient } from '../queue/redis.js';
import { FetchError, type HostGate } from './fetch.js';

// Returns 0 when a lease was taken, a positive number of ms to wait for the gap or a pause,
// or -1 when every slot is taken (wait for a release).
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local notBefore = tonumber(redis.call('GET', KEYS[2]) or '0')
if notBefore > now then return notBefore - now end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return -1 end
local lease = tonumber(ARGV[4])
redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
redis.call('PEXPIRE', KEYS[1], lease)
local gap = tonumber(ARGV[3])
if gap > 0 then redis.call('SET', KEYS[2], now + gap, 'PX', gap) end
return 0
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

export class HostLimiter {
  constructor(
    private readonly redis: RedisClient,
    private readonly names: RedisKeys,
    private readonly limits: HostLimits,
    private readonly options: HostLimiterOptions,
  ) {}

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
      const wait = Number(await this.redis.eval(ACQUIRE, 2, leases, notBefore, token, concurrency, minGapMs, this.options.leaseMs));
      if (wait === 0) {
        return async (pauseMs?: number) => {
          if (pauseMs) await this.pause(host, Math.min(pauseMs, this.options.maxPauseMs ?? 86_400_000)).catch(() => undefined);
          await this.redis.zrem(leases, token).catch(() => undefined); // the lease expires anyway
        };
      }
      const sleep = wait > 0 ? wait : 25 + Math.random() * 100;
      if (Date.now() + sleep > deadline) {
        const why = wait > 0 ? `it is paused or rate-limited for ${Math.ceil(wait / 1000)} s more` : `${concurrency} request(s) to it are in flight`;
        throw new FetchError(
          'busy',
          `${url.origin}: no turn at ${host} within ${this.limits.maxWaitMs} ms (${why}); will try again at the next poll`,
          undefined,
          wait > 0 ? Math.ceil(wait / 1000) : undefined,
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
