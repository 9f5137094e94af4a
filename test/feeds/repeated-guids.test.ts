// Feeds that reuse one guid for different articles (issue 13 item 9): the guid stays the identity
// by default, but the items it drops are counted, logged and kept in the feed health; with
// `identity: link` (per feed, or polling.identity in settings.yaml) items sharing a guid but not a
// link are distinct. Pure normalising, then the poll worker on real parts (HTTP, Redis).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatFeedsTable } from '../../src/cli/feeds.js';
import { HealthStore } from '../../src/feeds/health.js';
import { normaliseFeedItems } from '../../src/feeds/normalise.js';
import { parseFeed } from '../../src/feeds/parse.js';
import { processPoll } from '../../workers/poll.js';
import { rss, type FeedItem } from '../helpers/feeds.js';
import { serve, startHttpServer, type TestServer } from '../helpers/http.js';
import { recordingLogger, testPipeline, writeConfig } from '../helpers/pipeline.js';

const ONE_GUID: FeedItem[] = [1, 2, 3].map((n) => ({ guid: 'story', title: `Story ${n}`, link: `https://news.example.org/story-${n}`, description: `Text ${n}.` }));

describe('items sharing one guid', () => {
  it('keeps the first and counts the others by default; keeps all three by link', async () => {
    const parsed = await parseFeed(rss(ONE_GUID), 'test');
    const byGuid = normaliseFeedItems(parsed, { id: 'wire', url: 'https://news.example.org/rss' });
    expect(byGuid.items.map((a) => a.title)).toEqual(['Story 1']);
    expect(byGuid.repeatedIds).toBe(2);
    const byLink = normaliseFeedItems(parsed, { id: 'wire', url: 'https://news.example.org/rss', identity: 'link' });
    expect(byLink.items.map((a) => a.id)).toEqual(ONE_GUID.map((i) => i.link));
    expect(byLink.repeatedIds).toBe(0);
  });
});

describe('polling a feed that reuses a guid', () => {
  let http: TestServer;
  beforeAll(async () => {
    http = await startHttpServer();
    http.route('/reuse.xml', serve(rss(ONE_GUID), 'application/rss+xml'));
  });
  afterAll(async () => {
    await http?.close();
  });

  async function poll(feedExtra: string, settings = '') {
    const dir = await writeConfig({
      feeds: `feeds:\n  - id: reuse\n    url: ${http.url}/reuse.xml\n${feedExtra}`,
      rules: "rules:\n  - { id: r, query: 'zzzunmatchable' }\n",
      subscriptions: 'subscriptions:\n  - { id: desk, email: desk@example.org, rules: [r] }\n',
      settings,
    });
    const { log, lines } = recordingLogger();
    const pipeline = await testPipeline(dir, { log });
    try {
      const result = await processPoll({ data: { feedId: 'reuse' } } as never, pipeline.ctx);
      const health = await new HealthStore(pipeline.ctx.redis, pipeline.ctx.keys).get('reuse');
      return { result, health, lines, feeds: pipeline.ctx.config.feeds };
    } finally {
      await pipeline.close();
    }
  }

  it('logs and keeps in the feed health the items it drops, with the fix', async () => {
    const { result, health, lines, feeds } = await poll('');
    expect(result).toMatchObject({ status: 'ok', itemsInFeed: 1 });
    expect(health.repeatedIds).toBe(2);
    const line = lines.find((l) => l.feedId === 'reuse' && l.repeatedIds === 2);
    expect(line?.msg).toContain("feed items repeat another item's guid; 2 dropped (if they are different articles, set `identity: link`");
    expect(formatFeedsTable(feeds, [health])).toContain("reuse: 2 item(s) of the last poll repeated another item's id and were dropped; if they are different articles, set `identity: link`");
  });

  it('takes all three with identity: link in feeds.yaml, or as the default of settings.yaml', async () => {
    const perFeed = await poll('    identity: link\n');
    expect(perFeed.result).toMatchObject({ status: 'ok', itemsInFeed: 3 });
    expect(perFeed.health.repeatedIds).toBe(0);
    const byDefault = await poll('', 'polling:\n  identity: link\n');
    expect(byDefault.result).toMatchObject({ status: 'ok', itemsInFeed: 3 });
  });
});
