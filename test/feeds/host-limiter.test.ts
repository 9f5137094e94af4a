// The per-host limiter on the run's real Redis, with two limiters on two connections standing in
// for two worker processes.

import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { inject } from 'vitest';
import { FetchError } from '../../src/feeds/fetch.js';
import { HostLimiter } from '../../src/feeds/host-limiter.js';
import type { HostLimits } from '../../src/queue/context.js';
import { RedisKeys } from '../../src/queue/keys.js';
import { uniquePrefix } from '../helpers/pipeline.js';

const connections: Redis[] = [];
const connect = () => {
  const redis = new Redis(inject('redisUrl'));
  connections.push(redis);
  return redis;
};
afterAll(async () => {
  await Promise.all(connections.map((c) => c.quit()));
});

const limits = (over: Partial<HostLimits> = {}): HostLimits => ({ concurrency: 1, minGapMs: 0, maxWaitMs: 5_000, overrides: {}, ...over });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const url = new URL('https://news.example.org/feed.xml');

describe('HostLimiter', () => {
  it('lets one request at a time through across two processes when concurrency is 1', async () => {
    const keys = new RedisKeys(uniquePrefix());
    const a = new HostLimiter(connect(), keys, limits(), { leaseMs: 10_000 });
    const b = new HostLimiter(connect(), keys, limits(), { leaseMs: 10_000 });
    let inFlight = 0;
    let most = 0;
    const request = async (limiter: HostLimiter) => {
      const release = await limiter.acquire(url);
      inFlight++;
      most = Math.max(most, inFlight);
      await sleep(40);
      inFlight--;
      await release();
    };
    await Promise.all([a, b, a, b, a, b].map(request));
    expect(most).toBe(1);
  });

  it('keeps the minimum gap between the starts of two requests to one host', async () => {
    const keys = new RedisKeys(uniquePrefix());
    const a = new HostLimiter(connect(), keys, limits({ concurrency: 5, minGapMs: 200 }), { leaseMs: 10_000 });
    const b = new HostLimiter(connect(), keys, limits({ concurrency: 5, minGapMs: 200 }), { leaseMs: 10_000 });
    const starts: number[] = [];
    await Promise.all(
      [a, b, a, b].map(async (limiter) => {
        const release = await limiter.acquire(url);
        starts.push(Date.now());
        await release();
      }),
    );
    starts.sort((x, y) => x - y);
    // Each turn is reserved a gap after the last, and a late timer only makes a start later: so the
    // i-th start is at least i gaps after the first, less how late the first one's timer fired
    // (up to 150 ms on a loaded machine; pairwise gaps shrank below the gap when it did).
    const sinceFirst = starts.map((t) => t - (starts[0] as number));
    sinceFirst.forEach((ms, i) => expect(ms).toBeGreaterThanOrEqual(i * 200 - 150));
    expect(sinceFirst[3]).toBeGreaterThanOrEqual(450);
  });

  it('asks Redis once per request while requests queue for the gap: a turn after the gap is reserved, not polled for', async () => {
    const redis = connect();
    const limiter = new HostLimiter(redis, new RedisKeys(uniquePrefix()), limits({ concurrency: 10, minGapMs: 40 }), { leaseMs: 10_000 });
    // The first call of a script on a server may send its text once (NOSCRIPT); not counted.
    await (await limiter.acquire(new URL('https://warm-up.example.org/')))();
    const sent = vi.spyOn(redis, 'sendCommand');
    // The gap itself is checked above; here, what it costs. (Start times seen by the client can
    // bunch up when a loaded Redis sends several replies at once, so they are not compared here.)
    await Promise.all(Array.from({ length: 6 }, async () => (await limiter.acquire(url))()));
    const scripts = sent.mock.calls.filter(([command]) => /^eval/.test(command.name));
    expect(scripts).toHaveLength(6);
    expect(scripts.every(([command]) => command.name === 'evalsha')).toBe(true);
  });

  it('does not hold up other hosts, and applies per-host overrides', async () => {
    const keys = new RedisKeys(uniquePrefix());
    const limiter = new HostLimiter(connect(), keys, limits({ overrides: { 'fast.example.org': { concurrency: 3 } } }), { leaseMs: 10_000 });
    const held = await limiter.acquire(url);
    const other = await limiter.acquire(new URL('https://other.example.org/'));
    const fast = await Promise.all([1, 2, 3].map(() => limiter.acquire(new URL('https://fast.example.org/x'))));
    await Promise.all([held(), other(), ...fast.map((r) => r())]);
  });

  it('gives up with "busy" when the turn would come after maxWait', async () => {
    const limiter = new HostLimiter(connect(), new RedisKeys(uniquePrefix()), limits({ maxWaitMs: 200 }), { leaseMs: 10_000 });
    const release = await limiter.acquire(url);
    const err = await limiter.acquire(url).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(FetchError);
    expect((err as FetchError).errorClass).toBe('busy');
    await release();
  });

  it('hands back the slot of a holder that died once its lease runs out', async () => {
    const limiter = new HostLimiter(connect(), new RedisKeys(uniquePrefix()), limits(), { leaseMs: 200 });
    await limiter.acquire(url); // never released
    const started = Date.now();
    const release = await limiter.acquire(url);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    await release();
  });

  it('holds every request to a paused host until the pause ends', async () => {
    const keys = new RedisKeys(uniquePrefix());
    const limiter = new HostLimiter(connect(), keys, limits({ concurrency: 5 }), { leaseMs: 10_000 });
    await limiter.pause('news.example.org', 300);
    const started = Date.now();
    const release = await limiter.acquire(url);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await release();
    const short = new HostLimiter(connect(), keys, limits({ maxWaitMs: 100 }), { leaseMs: 10_000 });
    await short.pause('news.example.org', 5_000);
    const err = (await short.acquire(url).catch((e: unknown) => e)) as FetchError;
    expect(err.errorClass).toBe('busy');
    expect(err.retryAfterSeconds).toBe(5);
  });
});
