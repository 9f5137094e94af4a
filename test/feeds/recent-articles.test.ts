// Recent articles on the run's real Redis: kept with their matchable text, bounded by age and by
// count in the script that adds them, and read incrementally by the time they were kept.

import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { Article } from '../../src/feeds/article.js';
import { RECENT_CONTENT_CHARS, RecentArticles, articleOf, entryOf } from '../../src/feeds/recent-articles.js';
import { RedisKeys } from '../../src/queue/keys.js';
import { uniquePrefix } from '../helpers/pipeline.js';

const redis = new Redis(inject('redisUrl'));
afterAll(async () => {
  await redis.quit();
});

const DAY = 86_400_000;
const T0 = Date.parse('2026-12-01T00:00:00Z');
const article = (id: string, over: Partial<Article> = {}): Article => ({ id, feed: 'wire', title: `Story ${id}`, summary: 'Ceasefire talks resume.', ...over });

function store(limits = { keepMs: 7 * DAY, maxArticles: 100 }) {
  const keys = new RedisKeys(uniquePrefix());
  return { keys, recent: new RecentArticles(redis, keys, limits) };
}

describe('RecentArticles', () => {
  it('keeps what matching reads, the feed tags included, without the HTML', async () => {
    const { recent } = store();
    await recent.add(article('a', { url: 'https://news.example.org/a', language: 'en', contentHtml: '<p>x</p>', content: 'Full text.' }), ['world'], T0);
    const [kept] = await recent.since(0, T0);
    expect(kept).toEqual({
      id: 'a',
      feed: 'wire',
      title: 'Story a',
      summary: 'Ceasefire talks resume.',
      content: 'Full text.',
      url: 'https://news.example.org/a',
      language: 'en',
      feedTags: ['world'],
      keptAt: T0,
    });
    expect(JSON.stringify(kept)).not.toContain('<p>');
  });

  it('cuts the content to RECENT_CONTENT_CHARS', async () => {
    const { recent } = store();
    await recent.add(article('long', { content: 'word '.repeat(10_000) }), undefined, T0);
    const [kept] = await recent.since(0, T0);
    expect(kept!.content!.length).toBeLessThanOrEqual(RECENT_CONTENT_CHARS);
    expect(kept!.content!.endsWith('…')).toBe(true);
  });

  it('drops articles older than the keep window when the next one is added, from Redis too', async () => {
    const { keys, recent } = store({ keepMs: 7 * DAY, maxArticles: 100 });
    await recent.add(article('old'), undefined, T0);
    await recent.add(article('mid'), undefined, T0 + 3 * DAY);
    expect((await recent.since(0, T0 + 7.5 * DAY)).map((a) => a.id)).toEqual(['mid']);
    await recent.add(article('new'), undefined, T0 + 8 * DAY);
    expect(await redis.zcard(keys.recentOrder())).toBe(2);
    expect(await redis.hlen(keys.recentArticles())).toBe(2);
    expect((await recent.since(0, T0 + 8 * DAY)).map((a) => a.id)).toEqual(['mid', 'new']);
  });

  it('keeps at most maxArticles, dropping the oldest', async () => {
    const { keys, recent } = store({ keepMs: 7 * DAY, maxArticles: 3 });
    for (let i = 0; i < 5; i++) await recent.add(article(`a${i}`), undefined, T0 + i);
    expect((await recent.since(0, T0 + 10)).map((a) => a.id)).toEqual(['a2', 'a3', 'a4']);
    expect(await redis.hlen(keys.recentArticles())).toBe(3);
  });

  it('keeps an article seen twice once, and reads only those kept after a time', async () => {
    const { recent } = store();
    await recent.add(article('a'), undefined, T0);
    await recent.add(article('b'), undefined, T0 + 1);
    await recent.add(article('a', { title: 'Story a, updated' }), undefined, T0 + 2);
    expect((await recent.since(0, T0 + 3)).map((a) => a.title)).toEqual(['Story b', 'Story a, updated']);
    expect((await recent.since(T0 + 1, T0 + 3)).map((a) => a.id)).toEqual(['a']);
  });

  it('keeps content with line breaks, quotes, backslashes and control characters as it was', async () => {
    const { recent } = store();
    const content = 'First line.\n\n"Quoted" \\ back\u0001slash\r\n\u2028last “line” — \ud83d\ude00';
    await recent.add(article('odd', { title: 'Title\nwith a break?', content }), undefined, T0);
    const [kept] = await recent.since(0, T0);
    expect(kept!.content).toBe(content);
    expect(kept!.title).toBe('Title\nwith a break?');
    expect(articleOf(entryOf({ id: 'x', feed: 'f', keptAt: T0 }))).toEqual({ id: 'x', feed: 'f', keptAt: T0 });
  });

  it('reads an entry kept in the earlier form, all of it as JSON', async () => {
    const { keys, recent } = store();
    const old = { id: 'old', feed: 'wire', title: 'Story old', content: 'Two\nlines.', keptAt: T0 };
    await redis.hset(keys.recentArticles(), 'k', JSON.stringify(old));
    await redis.zadd(keys.recentOrder(), T0, 'k');
    expect(await recent.since(0, T0)).toEqual([old]);
  });
});
