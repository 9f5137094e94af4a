// A poll's start and end in one script call each on a single server (poll-state.ts): the state
// they read and write is what the stores' own calls, one after the other, read and write.

import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { HealthStore, type PollSuccess } from '../../src/feeds/health.js';
import { PollLock } from '../../src/feeds/poll-lock.js';
import { PollState } from '../../src/feeds/poll-state.js';
import { SeenStore } from '../../src/feeds/seen.js';
import { ValidatorStore } from '../../src/feeds/validators.js';
import { RedisKeys } from '../../src/queue/keys.js';

const redis = new Redis(inject('redisUrl'));
const RETAIN_MS = 60_000;

afterAll(() => redis.quit());

/** Stores and a PollState under a prefix of their own. */
function fixture() {
  const keys = new RedisKeys(`poll-state-${randomUUID()}`);
  return {
    keys,
    state: new PollState(redis, keys, RETAIN_MS),
    health: new HealthStore(redis, keys),
    validators: new ValidatorStore(redis, keys),
    seen: new SeenStore(redis, keys, RETAIN_MS),
    lock: new PollLock(redis, keys),
  };
}

/** Everything Redis holds for a feed: its health, validators and seen set with scores, and its lock. */
async function stateOf(f: ReturnType<typeof fixture>, feedId: string) {
  return {
    health: await redis.hgetall(f.keys.health(feedId)),
    validators: await redis.hgetall(f.keys.validators(feedId)),
    seen: await redis.zrange(f.keys.seen(feedId), 0, -1, 'WITHSCORES'),
    lock: await redis.get(f.keys.pollLock(feedId)),
  };
}

const success = (over: Partial<PollSuccess> = {}): PollSuccess => ({ status: 200, itemsInFeed: 3, newItems: 2, next: { at: Date.parse('2026-12-03T10:05:00Z'), reason: 'schedule' }, repeatedIds: 0, ...over });

describe('PollState', () => {
  it('takes the lock and reads the feed in one call; a second start finds the lock held until the first finishes', async () => {
    const f = fixture();
    await f.seen.remember('wire', ['a', 'b'], 1_000);
    await f.seen.remember('wire', ['b', 'c'], 2_000);
    await f.validators.save('wire', { etag: '"v1"', digest: 'd1' });
    await f.health.recordSuccess('wire', success(), new Date('2026-12-03T10:00:00Z'));

    const start = await f.state.start('wire', 30_000);
    expect(start).toBeDefined();
    expect(start!.known.sort()).toEqual(['b', 'c']);
    expect(start!.marks).toEqual({ etag: '"v1"', lastModified: undefined, digest: 'd1' });
    expect(start!.health).toEqual(await f.health.get('wire'));
    expect(await redis.get(f.keys.pollLock('wire'))).toBe(start!.token);

    expect(await f.state.start('wire', 30_000)).toBeUndefined();
    await f.state.finish('wire', start!.token, { success: success({ status: 304, itemsInFeed: undefined, repeatedIds: undefined, newItems: 0 }) });
    expect(await redis.exists(f.keys.pollLock('wire'))).toBe(0);
    const again = await f.state.start('wire', 30_000);
    expect(again?.token).not.toBe(start!.token);
  });

  it('knows nothing of a feed never read', async () => {
    const f = fixture();
    const start = await f.state.start('new', 30_000);
    expect(start).toMatchObject({ known: [], marks: { etag: undefined, lastModified: undefined, digest: undefined }, health: { feedId: 'new', consecutiveFailures: 0, itemsSeen: 0, flagged: false } });
  });

  it('waits for a lock given back within its wait', async () => {
    const f = fixture();
    const token = await f.lock.take('wire', 30_000);
    setTimeout(() => void f.lock.release('wire', token!), 150);
    const start = await f.state.start('wire', 30_000, 2_000);
    expect(start?.token).toBeDefined();
    expect(start!.token).not.toBe(token);
  });

  it('writes at the end what the stores write one after the other', async () => {
    const one = fixture();
    const other = fixture();
    const at = new Date('2026-12-03T10:00:00Z');
    // Old items past the retention, a moved feed's earlier redirect, a failure before.
    for (const f of [one, other]) {
      await f.seen.remember('wire', ['gone'], at.getTime() - RETAIN_MS - 1);
      await f.health.recordFailure('wire', { status: 500, errorClass: 'http', error: 'boom' }, new Date(at.getTime() - 60_000));
    }
    const ids = Array.from({ length: 1_234 }, (_, i) => `item-${i}`);
    const end = { remember: ids, marks: { etag: '"v2"', lastModified: 'Thu, 03 Dec 2026 09:59:00 GMT', digest: 'd2' }, success: success({ itemsInFeed: ids.length, newItems: 5, movedTo: 'https://example.org/feed', repeatedIds: 2 }) };

    const start = await one.state.start('wire', 30_000);
    const recovered = await one.state.finish('wire', start!.token, end, at);

    const token = await other.lock.take('wire', 30_000);
    await other.seen.remember('wire', end.remember, at.getTime());
    await other.validators.save('wire', end.marks);
    const recoveredThere = await other.health.recordSuccess('wire', end.success, at);
    await other.lock.release('wire', token!);

    expect(await stateOf(one, 'wire')).toEqual(await stateOf(other, 'wire'));
    expect((await stateOf(one, 'wire')).seen).toHaveLength(2 * ids.length);
    expect(recovered).toBe(recoveredThere);
    expect(recovered).toBeUndefined();
  });

  it('saves no marks unless given, and drops them when given empty', async () => {
    const f = fixture();
    await f.validators.save('wire', { etag: '"v1"' });
    let start = await f.state.start('wire', 30_000);
    await f.state.finish('wire', start!.token, { success: success() });
    expect(await f.validators.get('wire')).toMatchObject({ etag: '"v1"' });
    start = await f.state.start('wire', 30_000);
    await f.state.finish('wire', start!.token, { marks: {}, success: success() });
    expect(await redis.exists(f.keys.validators('wire'))).toBe(0);
    // The store's own save (a cluster's path) keeps the same rule.
    await f.validators.save('wire', { digest: 'd3' });
    expect(await f.validators.get('wire')).toEqual({ etag: undefined, lastModified: undefined, digest: 'd3' });
    await f.validators.save('wire', {});
    expect(await redis.exists(f.keys.validators('wire'))).toBe(0);
  });

  it('returns the run of failures it ends to the one poll whose success clears the operator flag', async () => {
    const f = fixture();
    const first = await f.health.recordFailure('wire', { errorClass: 'network', error: 'refused' }, new Date('2026-12-03T08:00:00Z'));
    await f.health.recordFailure('wire', { errorClass: 'network', error: 'refused' }, new Date('2026-12-03T09:00:00Z'));
    expect(await f.health.claimOperatorNotice('wire')).toBe(true);

    let start = await f.state.start('wire', 30_000);
    const at = new Date('2026-12-03T10:00:00Z');
    expect(await f.state.finish('wire', start!.token, { success: success() }, at)).toEqual({ failingSince: new Date(first.failingSince).toISOString(), failures: 2 });
    expect(await f.health.get('wire')).toMatchObject({ consecutiveFailures: 0, failingSince: undefined, errorClass: undefined, lastSuccess: at.toISOString(), itemsSeen: 2 });
    start = await f.state.start('wire', 30_000);
    expect(await f.state.finish('wire', start!.token, { success: success() }, at)).toBeUndefined();
  });

  it('leaves a lock another poll holds by now (this one expired) in place', async () => {
    const f = fixture();
    const start = await f.state.start('wire', 30_000);
    await redis.set(f.keys.pollLock('wire'), 'another poll');
    await f.state.finish('wire', start!.token, { success: success() });
    expect(await redis.get(f.keys.pollLock('wire'))).toBe('another poll');
  });
});
