// `newswatch feeds` and `newswatch import-opml`, run as the real command (child process) against
// the run's Redis and a config directory in a temp folder; the table and OPML reading directly.

import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { formatFeedsTable } from '../../src/cli/feeds.js';
import { addFeeds, slugFor } from '../../src/config/feeds-file.js';
import { loadConfig } from '../../src/config/load.js';
import type { FeedConfig } from '../../src/config/schema.js';
import { HealthStore } from '../../src/feeds/health.js';
import { parseOpml } from '../../src/feeds/opml.js';
import { RedisKeys } from '../../src/queue/keys.js';
import { spawnCli } from '../helpers/cli.js';
import { uniquePrefix, writeConfig } from '../helpers/pipeline.js';

const OPML = resolve('test/fixtures/feeds/subscriptions.opml');
const FEEDS = `# Our feeds. Keep this comment!
feeds:
  # the one we had
  - id: existing
    url: https://existing.example.org/feed.xml
    interval: 5m
`;
const RULES = `rules:\n  - id: r\n    query: ceasefire\n`;
const SUBS = `subscriptions:\n  - id: s\n    email: s@example.org\n    rules: [r]\n`;

describe('parseOpml', () => {
  it('reads every outline with an xmlUrl, in any letter case, with folder and category tags', async () => {
    const feeds = parseOpml(await readFile(OPML, 'utf8'), 'subs.opml');
    expect(feeds.map((f) => f.url)).toEqual([
      'https://kyivindependent.com/feed/',
      'https://www.pravda.com.ua/rss/',
      'https://feeds.bbci.co.uk/news/world/rss.xml',
      'https://existing.example.org/feed.xml',
      'https://kyivindependent.com/feed',
      'gopher://old.example.org/feed',
    ]);
    expect(feeds[2]).toEqual({ url: 'https://feeds.bbci.co.uk/news/world/rss.xml', title: 'BBC News — World', tags: ['World', 'News', 'International'] });
  });

  it('refuses a file that is not OPML', () => {
    expect(() => parseOpml('<rss/>', 'x.opml')).toThrow('x.opml: not an OPML file');
  });
});

describe('addFeeds', () => {
  it('appends new feeds, keeps comments, skips known URLs and makes ids unique', () => {
    const { text, added, skipped } = addFeeds(FEEDS, [
      { url: 'https://existing.example.org/feed.xml/', tags: [] },
      { url: 'https://a.example.org/rss', title: 'Existing', tags: ['x'] },
      { url: 'ftp://b.example.org/', tags: [] },
    ]);
    expect(text.startsWith('# Our feeds. Keep this comment!\nfeeds:\n  # the one we had\n')).toBe(true);
    expect(added).toEqual([{ id: 'existing-2', url: 'https://a.example.org/rss' }]);
    expect(skipped.map((s) => s.reason)).toEqual(['already in feeds.yaml', 'not an http(s) URL']);
    expect(text).toContain('  - id: existing-2\n    url: https://a.example.org/rss\n    title: Existing\n    tags: [x]\n');
  });

  it('keeps every byte of the entries it did not add, and writes the new ones in the same indentation', () => {
    const original = `# Our feeds
feeds:
  - id: wire   # the agency wire
    url: "https://wire.example.org/feed.xml"
    tags: [international]
    interval: 5m

  - {id: local, url: 'https://local.example.org/rss', tags: [ city, hall ]}
  # a feed we dropped: https://old.example.org/rss

# end of the list
`;
    const { text, added } = addFeeds(original, [{ url: 'https://a.example.org/rss', title: 'A: News', tags: ['World', 'News'] }]);
    expect(added).toEqual([{ id: 'a-news', url: 'https://a.example.org/rss' }]);
    const entry = "  - id: a-news\n    url: https://a.example.org/rss\n    title: \"A: News\"\n    tags: [World, News]\n";
    expect(text).toContain(entry);
    expect(text.replace(entry, '')).toBe(original);
    expect(addFeeds(original.replaceAll('\n  ', '\n'), [{ url: 'https://a.example.org/rss', tags: [] }]).text).toContain('\n- id: a-example-org\n  url: https://a.example.org/rss\n');
  });

  it('says a URL listed twice in the OPML is listed twice, not that it is in feeds.yaml', () => {
    const { added, skipped } = addFeeds(FEEDS, [
      { url: 'https://a.example.org/rss', tags: [] },
      { url: 'https://a.example.org/rss/', tags: [] },
      { url: 'https://existing.example.org/feed.xml', tags: [] },
    ]);
    expect(added.map((a) => a.url)).toEqual(['https://a.example.org/rss']);
    expect(skipped).toEqual([
      { url: 'https://a.example.org/rss/', reason: 'listed twice in the OPML' },
      { url: 'https://existing.example.org/feed.xml', reason: 'already in feeds.yaml' },
    ]);
  });

  it('creates the list in an empty file', () => {
    expect(addFeeds('', [{ url: 'https://a.example.org/rss', tags: [] }]).text).toBe('feeds:\n  - id: a-example-org\n    url: https://a.example.org/rss\n');
  });

  it('makes slugs from titles, else from the host', () => {
    expect(slugFor({ url: 'https://x.org/', title: 'Café Ünïcode — News!' })).toBe('cafe-unicode-news');
    expect(slugFor({ url: 'https://feeds.bbci.co.uk/news', title: 'Новини' })).toBe('bbci-co-uk');
  });
});

describe('newswatch import-opml', () => {
  it('adds the feeds to feeds.yaml so that the config still validates', async () => {
    const dir = await writeConfig({ feeds: FEEDS, rules: RULES, subscriptions: SUBS });
    const run = await spawnCli(['--config', dir, 'import-opml', OPML], {}).done;
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('added 3 feed(s), skipped 3');
    const { config, issues } = await loadConfig(dir, {});
    expect(issues).toEqual([]);
    expect(config?.feeds.map((f) => f.id)).toEqual(['existing', 'kyiv-independent', 'pravda-com-ua', 'bbc-news-world']);
    expect(await readFile(join(dir, 'feeds.yaml'), 'utf8')).toContain('# the one we had');
  });

  it('changes nothing with --dry-run', async () => {
    const dir = await writeConfig({ feeds: FEEDS, rules: RULES, subscriptions: SUBS });
    const run = await spawnCli(['--config', dir, 'import-opml', OPML, '--dry-run'], {}).done;
    expect(run.stdout).toContain('would add 3 feed(s)');
    expect(await readFile(join(dir, 'feeds.yaml'), 'utf8')).toBe(FEEDS);
  });

  it('names the file when it is not OPML', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nw-opml-'));
    await copyFile(resolve('test/fixtures/feeds/rss1.rdf'), join(dir, 'not.opml'));
    const run = await spawnCli(['--config', dir, 'import-opml', join(dir, 'not.opml')], {}).done;
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('not.opml: not an OPML file');
  });
});

describe('newswatch feeds', () => {
  const feeds = [
    { id: 'wire', interval: 600_000 },
    { id: 'dead', interval: 600_000 },
    { id: 'new', interval: 600_000 },
  ] as FeedConfig[];

  it('prints one row per feed with state, status, failures, items and next poll, then the errors', () => {
    const now = Date.parse('2026-11-24T12:00:00Z');
    const table = formatFeedsTable(
      feeds,
      [
        { feedId: 'wire', lastAttempt: '2026-11-24T11:58:00Z', lastSuccess: '2026-11-24T11:58:00Z', status: 200, consecutiveFailures: 0, itemsInFeed: 20, itemsSeen: 57, flagged: false, nextPoll: { at: now + 480_000, reason: 'schedule' } },
        { feedId: 'dead', lastAttempt: '2026-11-24T11:00:00Z', status: 404, errorClass: 'http', error: 'https://dead.example.org/: HTTP 404 Not Found', consecutiveFailures: 9, failingSince: '2026-11-22T11:00:00Z', itemsSeen: 0, flagged: true, nextPoll: { at: now + 3_600_000, reason: 'backoff' } },
      ],
      now,
    );
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^FEED\s+STATE\s+HTTP\s+LAST SUCCESS\s+LAST ATTEMPT\s+FAILS\s+ERROR\s+ITEMS\s+SEEN\s+NEXT POLL$/);
    expect(lines[1]).toMatch(/^wire\s+ok\s+200\s+2m ago\s+2m ago\s+0\s+-\s+20\s+57\s+in 8m$/);
    expect(lines[2]).toMatch(/^dead\s+FLAGGED\s+404\s+-\s+1h ago\s+9\s+http\s+-\s+0\s+in 1h \(backoff\)$/);
    expect(lines[3]).toMatch(/^new\s+never polled\s+-/);
    expect(table).toContain('3 feed(s): 1 ok, 2 not ok');
    expect(table).toContain('dead: https://dead.example.org/: HTTP 404 Not Found, failing since 2026-11-22T11:00:00Z');
  });

  it('reads the health kept in Redis', async () => {
    const prefix = uniquePrefix();
    const redis = new Redis(inject('redisUrl'));
    const store = new HealthStore(redis, new RedisKeys(prefix));
    await store.recordSuccess('wire', { status: 200, itemsInFeed: 12, newItems: 12, next: { at: Date.now() + 600_000, reason: 'schedule' } });
    await store.recordFailure('dead', { status: 500, errorClass: 'http', error: 'https://dead.example.org/: HTTP 500' });
    await redis.quit();
    const dir = await writeConfig({
      feeds: 'feeds:\n  - id: wire\n    url: https://wire.example.org/rss\n  - id: dead\n    url: https://dead.example.org/\n',
      rules: RULES,
      subscriptions: SUBS,
    });
    await writeFile(join(dir, 'settings.yaml'), '# defaults\n');
    const run = await spawnCli(['--config', dir, 'feeds'], { REDIS_URL: inject('redisUrl'), NEWSWATCH_PREFIX: prefix }).done;
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^wire\s+ok\s+200\s+(just now|\d+s ago)/m);
    expect(run.stdout).toMatch(/^dead\s+failing\s+500/m);
    expect(run.stdout).toContain('dead: https://dead.example.org/: HTTP 500');
  });
});
