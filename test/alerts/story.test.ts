import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { CANDIDATES_PER_BAND, StoryStore } from '../../src/alerts/story-store.js';
import { RedisKeys } from '../../src/queue/keys.js';
import { bandKeys, contentWords, minhash, overlap, SAME_STORY_MIN_OVERLAP, storyFeatures } from '../../src/alerts/story.js';
import { uniquePrefix } from '../helpers/pipeline.js';

const LEAD =
  'Ukrainian and Russian negotiators will meet in Istanbul next week to discuss a ceasefire, officials said on Friday, the first direct talks since the spring. The delegations will be led by senior defence officials.';
const wire = { title: 'Ukraine and Russia agree to resume ceasefire talks in Istanbul', summary: `KYIV (Reuters) - ${LEAD}` };
const retitled = { title: 'Russia, Ukraine to hold new round of ceasefire talks in Istanbul', summary: LEAD.replace('defence officials', 'defence ministry officials') };
const shorter = { title: wire.title, summary: 'Ukrainian and Russian negotiators will meet in Istanbul next week to discuss a ceasefire, officials said on Friday.' };
const sameTopic = { title: 'Ukraine says ceasefire talks must include monitors', summary: 'Kyiv insisted on Friday that any ceasefire agreed in Istanbul must be verified by international monitors, as negotiators prepared for a new round.' };
const other = { title: 'Grain ship leaves Odesa despite drone attacks', summary: 'A bulk carrier loaded with wheat left the port of Odesa on Saturday, the Ukrainian navy said.' };

describe('story features', () => {
  it('fold case and diacritics and drop stop words', () => {
    expect([...storyFeatures({ title: 'The Talks in KYÏV and Odesa' })]).toEqual(['talks', 'kyiv', 'odesa']);
  });

  it.each([
    ['an edited headline', retitled],
    ['a shorter summary', shorter],
  ])('take a copy with %s for the same story', (_name, copy) => {
    expect(overlap(storyFeatures(wire), storyFeatures(copy))).toBeGreaterThanOrEqual(SAME_STORY_MIN_OVERLAP);
  });

  it.each([
    ['another story on the same topic', sameTopic],
    ['an unrelated story', other],
  ])('keep %s apart', (_name, story) => {
    expect(overlap(storyFeatures(wire), storyFeatures(story))).toBeLessThan(SAME_STORY_MIN_OVERLAP);
  });

  it('take the first 24 content words of a long lead, whatever stands where its opening is cut', () => {
    // 23 words, stop words up to about the cut (600 characters in), then a 24th word that reads
    // differently when cut or read apart from what follows (a final sigma, a combining mark, a
    // ligature, a hyphen, no space at all), so that the cut falls before, inside and after it.
    const first = Array.from({ length: 23 }, (_, i) => `word${String.fromCharCode(97 + i)}`).join(' ');
    const pieces = ['ΟΔΗΓΟΣ', 'cafe\u0301s', 'ﬁnancement', 'ceasefire-talks', '東京都庁舎', 'negotiations'];
    for (const piece of pieces) {
      for (let at = 580; at < 620; at++) {
        const filler = ' the'.repeat(Math.max(0, Math.floor((at - first.length) / 4)));
        const opening = `${first}${filler} ${piece} and more words after it. ${'Later text. '.repeat(40)}`;
        for (const article of [{ title: 'Talks', summary: opening }, { title: 'Talks', content: opening }]) {
          expect([...storyFeatures(article)]).toEqual([...new Set(['talks', ...contentWords(opening).slice(0, 24)])]);
        }
      }
    }
    // Fewer than 24 words in the opening: the rest of the lead is read.
    const sparse = `${'the '.repeat(200)}${first} ${pieces.join(' ')}`;
    expect([...storyFeatures({ summary: sparse })]).toEqual(contentWords(sparse).slice(0, 24));
  });

  it('gives identical word sets identical signatures and bands', () => {
    expect(bandKeys(minhash(storyFeatures(wire)))).toEqual(bandKeys(minhash(storyFeatures({ ...wire }))));
    expect(bandKeys(minhash(storyFeatures(wire)))).toHaveLength(16);
  });
});

describe('StoryStore', () => {
  const redis = new Redis(inject('redisUrl'));
  afterAll(() => redis.disconnect());

  it('puts copies processed at the same moment into one story', async () => {
    const store = new StoryStore(redis, new RedisKeys(uniquePrefix()), 3_600_000);
    const results = await Promise.all([
      store.assign({ feed: 'wire', id: '1', url: 'https://a.example/1', ...wire }),
      store.assign({ feed: 'paper', id: '2', url: 'https://b.example/2', ...retitled }),
      store.assign({ feed: 'blog', id: '3', url: 'https://c.example/3', ...shorter }),
    ]);
    expect(new Set(results.map((r) => r.storyId)).size).toBe(1);
    expect(results.filter((r) => r.isNew)).toHaveLength(1);
  });

  it('matches the same canonical URL even when the text differs, and keeps the founder a founder on retry', async () => {
    const store = new StoryStore(redis, new RedisKeys(uniquePrefix()), 3_600_000);
    const first = await store.assign({ feed: 'wire', id: '1', url: 'https://a.example/x', ...other });
    const again = await store.assign({ feed: 'wire', id: '1', url: 'https://a.example/x', ...other });
    const sameUrl = await store.assign({ feed: 'blog', id: 'z', url: 'https://a.example/x', title: 'Short' });
    expect(again).toEqual({ storyId: first.storyId, isNew: true });
    expect(sameUrl).toEqual({ storyId: first.storyId, isNew: false });
  });

  it('assigns a list in one call as one after the other: a later copy joins the story an earlier one founded', async () => {
    const keys = new RedisKeys(uniquePrefix());
    const store = new StoryStore(redis, keys, 3_600_000);
    const list = [
      { feed: 'wire', id: '1', url: 'https://a.example/1', ...wire },
      { feed: 'wire', id: '2', url: 'https://a.example/2', ...other },
      { feed: 'paper', id: '3', url: 'https://b.example/3', ...retitled },
      { feed: 'blog', id: '4', url: 'https://a.example/2', title: 'Short' },
    ];
    const together = await store.assignAll(list);
    expect(together.map((r) => r.isNew)).toEqual([true, true, false, false]);
    expect(together[2]!.storyId).toBe(together[0]!.storyId);
    expect(together[3]!.storyId).toBe(together[1]!.storyId);
    // The same as one at a time, in a fresh store.
    const alone = new StoryStore(redis, new RedisKeys(uniquePrefix()), 3_600_000);
    const oneByOne = [];
    for (const a of list) oneByOne.push(await alone.assign(a));
    expect(oneByOne).toEqual(together);
    expect(await store.assignAll([])).toEqual([]);
  });

  it('founds separate stories for different news and forgets stories after the window', async () => {
    const store = new StoryStore(redis, new RedisKeys(uniquePrefix()), 200);
    const a = await store.assign({ feed: 'wire', id: '1', ...wire });
    const b = await store.assign({ feed: 'wire', id: '2', ...sameTopic });
    expect(b.storyId).not.toBe(a.storyId);
    await new Promise((r) => setTimeout(r, 300));
    const later = await store.assign({ feed: 'paper', id: '9', ...retitled });
    expect(later.isNew).toBe(true);
  });

  describe('bands', () => {
    const HOUR = 3_600_000;
    const t0 = Date.UTC(2026, 0, 1);
    const bandsOf = (article: { title?: string; summary?: string }) => bandKeys(minhash(storyFeatures(article)));

    /** Unrelated stories at the given times, put into the given bands as the script does. */
    async function crowd(keys: RedisKeys, bands: string[], count: number, at: number) {
      const base = keys.storyBase();
      const pipeline = redis.pipeline();
      for (let i = 0; i < count; i++) {
        const id = `crowd${i}`;
        pipeline.hset(`${base}:${id}`, 'words', Array.from({ length: 20 }, (_, j) => `filler${i}x${j}`).join(' '), 'n', 20, 'first', at + i);
        for (const band of bands) pipeline.zadd(`${base}:band:${band}`, at + i, id);
      }
      await pipeline.exec();
    }

    it('ignores band entries older than the window, even where no write has trimmed them yet', async () => {
      const keys = new RedisKeys(uniquePrefix());
      const store = new StoryStore(redis, keys, 48 * HOUR);
      const first = await store.assign({ feed: 'wire', id: '1', ...wire }, t0);
      // The story itself still there (as when a clock moved), its band entries out of the window.
      const base = keys.storyBase();
      for (const band of bandsOf(wire)) await redis.zadd(`${base}:band:${band}`, t0 - 48 * HOUR, first.storyId);
      const copy = await store.assign({ feed: 'paper', id: '2', ...retitled }, t0 + HOUR);
      expect(copy.isNew).toBe(true);
      // Writing the new story's bands drops the expired entries.
      const shared = bandsOf(wire).find((b) => bandsOf(retitled).includes(b));
      expect(await redis.zscore(`${base}:band:${shared}`, first.storyId)).toBeNull();
    });

    it('finds a copy through its other bands when common words crowd some of them with newer stories', async () => {
      const keys = new RedisKeys(uniquePrefix());
      const store = new StoryStore(redis, keys, 48 * HOUR);
      const first = await store.assign({ feed: 'wire', id: '1', ...wire }, t0);
      const shared = bandsOf(wire).filter((b) => bandsOf(retitled).includes(b));
      expect(shared.length).toBeGreaterThan(1);
      await crowd(keys, shared.slice(1), CANDIDATES_PER_BAND + 5, t0 + 1);
      expect(await store.assign({ feed: 'paper', id: '2', ...retitled }, t0 + HOUR)).toEqual({ storyId: first.storyId, isNew: false });
    });

    it(`compares the newest ${CANDIDATES_PER_BAND} stories of a band, so that work per article does not grow with crowded bands`, async () => {
      const keys = new RedisKeys(uniquePrefix());
      const store = new StoryStore(redis, keys, 48 * HOUR);
      const first = await store.assign({ feed: 'wire', id: '1', ...wire }, t0);
      // Every band of the story crowded by newer stories: one too many hides it.
      await crowd(keys, bandsOf(wire), CANDIDATES_PER_BAND - 1, t0 + 1);
      expect(await store.assign({ feed: 'paper', id: '2', ...wire }, t0 + HOUR)).toEqual({ storyId: first.storyId, isNew: false });
      await crowd(keys, bandsOf(wire), CANDIDATES_PER_BAND, t0 + 1);
      expect((await store.assign({ feed: 'blog', id: '3', ...wire }, t0 + HOUR)).isNew).toBe(true);
    });

    it('reads stories written by the previous version (no word count) and writes words it can read', async () => {
      const keys = new RedisKeys(uniquePrefix());
      const store = new StoryStore(redis, keys, 48 * HOUR);
      const base = keys.storyBase();
      const words = [...storyFeatures(wire)].join(' ');
      await redis.hset(`${base}:old`, 'words', words, 'first', t0);
      for (const band of bandsOf(wire)) await redis.zadd(`${base}:band:${band}`, t0, 'old');
      const copy = await store.assign({ feed: 'paper', id: '2', ...retitled }, t0 + HOUR);
      expect(copy).toEqual({ storyId: 'old', isNew: false });
      const other = await store.assign({ feed: 'paper', id: '3', ...sameTopic }, t0 + HOUR);
      expect(await redis.hget(`${base}:${other.storyId}`, 'words')).toBe([...storyFeatures(sameTopic)].join(' '));
    });
  });
});

