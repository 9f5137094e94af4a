// The subscription directory on a real Redis: YAML and Redis entries side by side, and a change
// written through one process's store seen by another process's directory within a second
// (two directories on connections of their own stand in for two processes).

import { Redis } from 'ioredis';
import pino from 'pino';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { SubscriptionDirectory } from '../../src/alerts/directory.js';
import { ConcurrentChangeError, SubscriptionStore, type StoredRule, type StoredSubscription } from '../../src/alerts/subscription-store.js';
import { loadConfigOrThrow } from '../../src/config/load.js';
import { RedisKeys } from '../../src/queue/keys.js';
import { uniquePrefix, writeConfig } from '../helpers/pipeline.js';

const silent = pino({ level: 'silent' });
const opened: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

async function setup() {
  const dir = await writeConfig({
    feeds: 'feeds: []\n',
    rules: "rules:\n  - { id: ceasefire, name: Ceasefire, query: 'ukraine AND ceasefire' }\n",
    subscriptions: 'subscriptions:\n  - { id: desk, email: desk@example.org, rules: [ceasefire] }\n',
  });
  const config = await loadConfigOrThrow(dir, {});
  const keys = new RedisKeys(uniquePrefix());
  const process = () => {
    const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    const directory = new SubscriptionDirectory({ config, redis, keys, log: silent });
    opened.push({ close: () => redis.disconnect() }, directory);
    return { redis, directory, store: new SubscriptionStore(redis, keys) };
  };
  return { keys, process };
}

const sub = (id: string, extra: Partial<StoredSubscription> = {}): StoredSubscription => ({
  id,
  email: `${id}@example.org`,
  rules: [],
  keywords: 'grain AND odesa',
  delivery: 'immediate',
  timezone: 'UTC',
  maxPerDigest: 50,
  paused: false,
  createdAt: '2026-01-01T00:00:00.000Z',
  origin: 'web',
  ...extra,
});

const article = { id: 'a1', title: 'Grain ship leaves Odesa', summary: 'Ukraine and a ceasefire' };

async function within(ms: number, check: () => boolean): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return Date.now() - start;
}

describe('subscription directory', () => {
  it('merges YAML and Redis subscriptions, marks their source, and matches both', async () => {
    const { process } = await setup();
    const writer = process();
    await writer.store.write('s-grain', undefined, sub('s-grain'));
    const { directory } = process();
    await directory.ready;
    expect(directory.subscriptions().map((s) => [s.id, s.source])).toEqual([
      ['desk', 'yaml'],
      ['s-grain', 'redis'],
    ]);
    const matched = directory.index.match(article).map((m) => m.rule);
    expect(matched.sort()).toEqual(['ceasefire', 'keywords:s-grain']);
    expect(directory.subscriptionsFor(matched).map((s) => s.id)).toEqual(['desk', 's-grain']);
    expect(directory.ruleName('keywords:s-grain')).toBe('Keywords: grain AND odesa');
  });

  it('shows another process a created, changed and deleted subscription within a second, and adjusts the rule index', async () => {
    const { process } = await setup();
    const a = process();
    const b = process();
    await Promise.all([a.directory.ready, b.directory.ready]);
    expect(b.directory.index.match(article).map((m) => m.rule)).toEqual(['ceasefire']);

    const created = sub('s-new');
    await a.store.write(created.id, undefined, created);
    expect(await within(1_000, () => b.directory.subscription('s-new') !== undefined)).toBeLessThan(1_000);
    expect(b.directory.index.match(article).map((m) => m.rule).sort()).toEqual(['ceasefire', 'keywords:s-new']);

    const changed = { ...created, keywords: 'tanker AND bosphorus', delivery: 'digest' as const, digest: 'weekly' as const };
    await a.store.write(created.id, created, changed);
    await within(1_000, () => b.directory.subscription('s-new')?.delivery === 'digest');
    expect(b.directory.index.match(article).map((m) => m.rule)).toEqual(['ceasefire']);
    expect(b.directory.index.match({ id: 'x', title: 'Tanker crosses the Bosphorus' }).map((m) => m.rule)).toEqual(['keywords:s-new']);

    await a.store.write(created.id, changed, undefined);
    await within(1_000, () => b.directory.subscription('s-new') === undefined);
    expect(b.directory.index.match({ id: 'x', title: 'Tanker crosses the Bosphorus' })).toEqual([]);
    expect(b.directory.subscriptionsFor(['keywords:s-new'])).toEqual([]);
  });

  it('shows rules created at run time to every process, and their subscribers', async () => {
    const { process } = await setup();
    const a = process();
    const b = process();
    await b.directory.ready;
    const rule: StoredRule = { id: 'grain', name: 'Grain corridor', query: 'grain AND odesa', public: true, createdAt: '2026-01-01T00:00:00.000Z' };
    await a.store.writeRule(rule.id, undefined, rule);
    await a.store.write('s-rule', undefined, sub('s-rule', { keywords: undefined, rules: ['grain'] }));
    await within(1_000, () => b.directory.subscriptionsFor(['grain']).length === 1);
    expect(b.directory.rule('grain')).toMatchObject({ source: 'redis', public: true });
    expect(b.directory.ruleName('grain')).toBe('Grain corridor');
    expect(b.directory.index.match(article).map((m) => m.rule).sort()).toEqual(['ceasefire', 'grain']);
    await a.store.writeRule(rule.id, rule, undefined);
    await within(1_000, () => b.directory.rule('grain') === undefined);
    expect(b.directory.index.match(article).map((m) => m.rule)).toEqual(['ceasefire']);
  });

  it('keeps the YAML entry when a Redis one has its id, and leaves out a stored query that does not compile', async () => {
    const { process } = await setup();
    const a = process();
    await a.store.write('desk', undefined, sub('desk', { email: 'intruder@example.org' }));
    await a.store.write('s-bad', undefined, sub('s-bad', { keywords: '(unclosed' }));
    await a.store.write('s-good', undefined, sub('s-good'));
    const { directory } = process();
    await directory.ready;
    expect(directory.subscription('desk')).toMatchObject({ source: 'yaml', email: 'desk@example.org' });
    expect(directory.subscription('s-bad')).toBeUndefined();
    expect(directory.subscription('s-good')).toBeDefined();
  });

  it('catches up after its change stream connection drops', async () => {
    const { process } = await setup();
    const a = process();
    const b = process();
    await b.directory.ready;
    // Kill b's blocking connection from the server side, then write while it is gone.
    const clients = await a.redis.client('LIST');
    const blocked = String(clients)
      .split('\n')
      .filter((l) => l.includes('cmd=xread'))
      .map((l) => /id=(\d+)/.exec(l)?.[1]);
    for (const id of blocked) if (id) await a.redis.client('KILL', 'ID', id);
    await a.store.write('s-late', undefined, sub('s-late'));
    await within(5_000, () => b.directory.subscription('s-late') !== undefined);
  });
});

describe('subscription store', () => {
  it('refuses a write based on a record someone else changed meanwhile', async () => {
    const { process } = await setup();
    const { store } = process();
    const first = sub('s-cas');
    await store.write(first.id, undefined, first);
    await store.write(first.id, first, { ...first, paused: true });
    await expect(store.write(first.id, first, { ...first, keywords: 'other' })).rejects.toThrow(ConcurrentChangeError);
    await expect(store.write(first.id, undefined, first)).rejects.toThrow(/changed by someone else/);
    expect((await store.get(first.id))?.paused).toBe(true);
  });

  it('keeps one pending subscription per address and query, caps an address, and expires what is not confirmed', async () => {
    const { process } = await setup();
    const { store } = process();
    const one = sub('s-p1', { email: 'Reader@Example.org', keywords: 'grain   AND odesa' });
    expect(await store.createPending(one, 300, 2)).toEqual({ outcome: 'created', id: 's-p1' });
    // The same address (any case) and query (any spacing), even as another frequency: the first.
    expect(await store.createPending(sub('s-p2', { email: 'reader@example.org', delivery: 'digest' }), 300, 2)).toEqual({ outcome: 'same', id: 's-p1' });
    expect(await store.createPending(sub('s-p3', { email: 'reader@example.org', keywords: 'tanker' }), 300, 2)).toEqual({ outcome: 'created', id: 's-p3' });
    expect(await store.createPending(sub('s-p4', { email: 'reader@example.org', keywords: 'port' }), 300, 2)).toEqual({ outcome: 'cap' });
    expect(await store.getPending('s-p1')).toMatchObject({ email: 'Reader@Example.org' });
    await new Promise((r) => setTimeout(r, 400));
    expect(await store.getPending('s-p1')).toBeUndefined();
    expect(await store.createPending(sub('s-p5', { email: 'reader@example.org', keywords: 'port' }), 300, 2)).toEqual({ outcome: 'created', id: 's-p5' });
  });

  it('confirms by taking the pending record over: indexed by address, the same query points at it, the pending key gone', async () => {
    const { process } = await setup();
    const { store } = process();
    const pending = sub('s-c1', { email: 'c@example.org' });
    await store.createPending(pending, 60_000, 5);
    await store.write(pending.id, undefined, { ...pending, confirmedAt: '2026-01-02T00:00:00.000Z' });
    expect(await store.getPending(pending.id)).toBeUndefined();
    expect(await store.idsOf('C@example.org')).toEqual(['s-c1']);
    expect(await store.createPending(sub('s-c2', { email: 'c@example.org' }), 60_000, 5)).toEqual({ outcome: 'same', id: 's-c1' });
    await store.write(pending.id, (await store.get(pending.id))!, undefined);
    expect(await store.idsOf('c@example.org')).toEqual([]);
    expect(await store.createPending(sub('s-c3', { email: 'c@example.org' }), 60_000, 5)).toEqual({ outcome: 'created', id: 's-c3' });
  });

  it('counts at most the limit of emails per address per day', async () => {
    const { process } = await setup();
    const { store } = process();
    const sent = [];
    for (let i = 0; i < 5; i++) sent.push(await store.countMail(i % 2 ? 'M@example.org' : 'm@example.org', 3));
    expect(sent).toEqual([true, true, true, false, false]);
    expect(await store.countMail('other@example.org', 3)).toBe(true);
  });
});
