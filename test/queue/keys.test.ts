import { readFile } from 'node:fs/promises';
import calculateSlot from 'cluster-key-slot';
import { describe, expect, it } from 'vitest';
import { KEY_FAMILIES, RedisKeys, type KeyFamilyName } from '../../src/queue/keys.js';
import { isClusterUrl, parseClusterUrl } from '../../src/queue/redis.js';

/** One key of each family as the owning module builds it. */
function sampleKeys(keys: RedisKeys): Record<Exclude<KeyFamilyName, 'queue'>, string> {
  return {
    seen: keys.seen('bbc-world'),
    health: keys.health('bbc-world'),
    validators: keys.validators('bbc-world'),
    pollLock: keys.pollLock('bbc-world'),
    hostLeases: keys.hostLeases('feeds.bbci.co.uk'),
    hostNotBefore: keys.hostNotBefore('[::1]'),
    story: keys.story('AbC_12-x'),
    storyUrl: `${keys.storyBase()}:url:h4sh`,
    storyBand: `${keys.storyBase()}:band:3-99`,
    digestBucket: keys.digestBucket('morning'),
    digestBatch: keys.digestBatch('morning', 'run1'),
    digested: keys.digested('morning', 'story1'),
    sent: keys.sent('d-abc'),
    lastDelivery: keys.lastDelivery(),
    disabled: keys.disabled(),
    secret: keys.secret(),
    directorySubscriptions: keys.directorySubscriptions(),
    directoryRules: keys.directoryRules(),
    directoryChanges: keys.directoryChanges(),
    pendingSubscription: keys.pendingSubscription('s3k2q'),
    pendingByAddress: keys.pendingByAddress('AbC-_x'),
    pendingIndex: keys.pendingIndex(),
    subscriptionsByAddress: keys.subscriptionsByAddress('AbC-_x'),
    sameSubscription: keys.sameSubscription('AbC-_y'),
    confirmationsSent: keys.confirmationsSent('AbC-_x'),
    alertFeedOrder: keys.alertFeedOrder('subscription', 's-0a1b'),
    alertFeedEntries: keys.alertFeedEntries('rule', 'ceasefire'),
    apiRateLimit: keys.apiRateLimit('::ffff:127.0.0.1'),
    recentOrder: keys.recentOrder(),
    recentArticles: keys.recentArticles(),
    pagesRateLimit: `${keys.pagesRateLimit()}POST/-127.0.0.1`,
  };
}

describe('Redis key families', () => {
  for (const cluster of [false, true]) {
    it(`puts every key a module builds in its own family (${cluster ? 'cluster' : 'single server'})`, () => {
      const keys = new RedisKeys('nw', cluster);
      for (const [family, key] of Object.entries(sampleKeys(keys))) expect([key, keys.familyOf(key)]).toEqual([key, family]);
      expect(keys.familyOf(`nw:${keys.queue('deliver')}:failed`)).toBe('queue');
      expect(keys.familyOf(`nw:${keys.queue('poll')}:repeat:feed-bbc:1700000000000`)).toBe('queue');
      expect(keys.familyOf('nw:unknown:thing')).toBeUndefined();
      expect(keys.familyOf('other:seen:bbc-world')).toBeUndefined();
    });
  }

  it('keeps single-server key names as they were before families had hash tags', () => {
    const keys = new RedisKeys('newswatch');
    expect(keys.queue('article')).toBe('article');
    expect(keys.story('s1')).toBe('newswatch:story:s1');
    expect(keys.digestBatch('morning', 'r')).toBe('newswatch:digest:morning:batch:r');
    expect(keys.digested('morning', 's')).toBe('newswatch:digested:morning:s');
    expect(keys.hostLeases('a.example')).toBe('newswatch:host:{a.example}:leases');
  });

  it('puts the keys one script touches in one cluster slot, and spreads the rest', () => {
    const keys = new RedisKeys('newswatch', true);
    const sameSlot = (...k: string[]) => new Set(k.map((key) => calculateSlot(key))).size === 1;
    // story-store's Lua script: stories, URL index and MinHash bands.
    expect(sameSlot(keys.story('a'), keys.story('b'), `${keys.storyBase()}:url:x`, `${keys.storyBase()}:band:1-2`)).toBe(true);
    // digest-store's scripts: bucket, batch and the per-story marker of one subscription.
    expect(sameSlot(keys.digestBucket('m'), keys.digestBatch('m', 'r'), keys.digested('m', 's'))).toBe(true);
    // subscription-store's scripts: records, indexes, pending keys and the change log.
    expect(
      sameSlot(
        keys.directorySubscriptions(),
        keys.directoryRules(),
        keys.directoryChanges(),
        keys.pendingSubscription('s'),
        keys.pendingByAddress('a'),
        keys.pendingIndex(),
        keys.subscriptionsByAddress('a'),
        keys.sameSubscription('x'),
        keys.confirmationsSent('a'),
      ),
    ).toBe(true);
    // recent-articles' script: the order and the texts.
    expect(sameSlot(keys.recentOrder(), keys.recentArticles())).toBe(true);
    // host-limiter's scripts.
    expect(sameSlot(keys.hostLeases('a.example'), keys.hostNotBefore('a.example'))).toBe(true);
    // BullMQ: every key of a queue.
    expect(sameSlot(...['wait', 'active', 'meta', 'events', 'job-1'].map((s) => `newswatch:${keys.queue('deliver')}:${s}`))).toBe(true);
    // Different subscriptions and queues are free to live on different nodes.
    expect(sameSlot(keys.digestBucket('m'), keys.digestBucket('n'))).toBe(false);
    expect(sameSlot(`newswatch:${keys.queue('poll')}:wait`, `newswatch:${keys.queue('deliver')}:wait`)).toBe(false);
  });

  it('documents an owner and a lifetime for every family, in the code and in docs/redis-keys.md', async () => {
    const doc = await readFile('docs/redis-keys.md', 'utf8');
    for (const [name, family] of Object.entries(KEY_FAMILIES)) {
      expect(family.owner).toMatch(/\.ts/);
      expect(family.lifetime.length).toBeGreaterThan(10);
      expect(doc).toContain(`| \`<prefix>:${family.pattern}\` | ${name} | ${family.type} |`);
    }
  });
});

describe('REDIS_URL for a cluster', () => {
  it('reads the seed nodes and shared credentials of redis+cluster://', () => {
    expect(isClusterUrl('redis://127.0.0.1:6379')).toBe(false);
    expect(isClusterUrl('redis+cluster://a:7000')).toBe(true);
    expect(parseClusterUrl('redis+cluster://a.example:7000,b.example:7001,[::1]:7002')).toEqual({
      nodes: [
        { host: 'a.example', port: 7000 },
        { host: 'b.example', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      options: {},
    });
    expect(parseClusterUrl('rediss+cluster://nw:p%40ss@a.example,b.example:7001/')).toEqual({
      nodes: [
        { host: 'a.example', port: 6379 },
        { host: 'b.example', port: 7001 },
      ],
      options: { username: 'nw', password: 'p@ss', tls: {} },
    });
  });
});
