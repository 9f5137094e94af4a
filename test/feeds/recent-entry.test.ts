// Specification of recent-entry.ts: the entries a sandbox thread prepares are byte for byte the
// ones the main thread makes, and an article carries its entry only while it still gives the
// matcher what the entry was made from.

import { describe, expect, it } from 'vitest';
import { withoutHtml, withPage, type Article } from '../../src/feeds/article.js';
import { attachRecentEntries, prepareRecentEntries, preparedRecentEntry, RECENT_CONTENT_CHARS, recentJson, recentKey } from '../../src/feeds/recent-entry.js';

const article = (id: string, over: Partial<Article> = {}): Article => ({
  id,
  feed: 'wire',
  title: `Story ${id}`,
  summary: 'Ceasefire talks resume.',
  content: 'Full text of the story.',
  url: `https://news.example.org/${id}`,
  published: '2026-12-01T10:00:00.000Z',
  ...over,
});

/** Articles as the main thread has them after a sandbox thread prepared them: copies, with the entries' buffer. */
function fromThread(items: Article[], feedTags?: string[]): Article[] {
  const prepared = prepareRecentEntries(items, feedTags);
  const { buffer, feedTags: tags } = structuredClone(prepared, { transfer: [prepared.buffer] });
  const copies = structuredClone(items);
  attachRecentEntries(copies, { buffer, ...(tags ? { feedTags: tags } : {}) });
  return copies;
}

const text = (bytes: Buffer | undefined) => bytes?.toString('utf8');

describe('recent entries', () => {
  it('are the key and JSON the main thread makes, for every item, non-ASCII and cut content included', () => {
    const items = [
      article('a', { language: 'en' }),
      article('b', { title: 'Переговоры в Женеве — «перемирие» 🕊', summary: undefined, url: undefined }),
      article('c', { content: 'word '.repeat(5_000) }),
      article('d', { content: undefined, published: undefined }),
    ];
    const tags = ['world', 'europe'];
    const copies = fromThread(items, tags);
    for (const [i, item] of items.entries()) {
      const entry = preparedRecentEntry(copies[i]!, tags);
      expect(text(entry?.key)).toBe(recentKey(item));
      expect(text(entry?.json)).toBe(recentJson(item, tags));
    }
    expect((JSON.parse(recentJson(items[2]!)) as Article).content!.length).toBeLessThanOrEqual(RECENT_CONTENT_CHARS);
  });

  it('are views of the one transferred buffer, not copies', () => {
    const copies = fromThread([article('a'), article('b')]);
    const a = preparedRecentEntry(copies[0]!)!;
    const b = preparedRecentEntry(copies[1]!)!;
    expect(a.json.buffer).toBe(b.key.buffer);
    expect(a.key.byteOffset + a.key.byteLength).toBe(a.json.byteOffset);
  });

  it('go with the copies withoutHtml makes, and not into JSON', () => {
    const [copy] = fromThread([article('a')]);
    const slim = withoutHtml(copy!);
    expect(text(preparedRecentEntry(slim)?.json)).toBe(recentJson(article('a')));
    expect(JSON.stringify(slim)).toBe(JSON.stringify(article('a')));
  });

  it('are not used for an article whose text its page changed', () => {
    const [copy] = fromThread([article('a', { language: undefined })]);
    const page = { text: `${'The page says much more. '.repeat(20)}`, html: '<p>…</p>', language: 'en' };
    expect(preparedRecentEntry(withPage(copy!, page))).toBeUndefined();
    // A page that only fills the language changes what is kept as well.
    expect(preparedRecentEntry(withPage(copy!, { text: '', html: '', language: 'en' }))).toBeUndefined();
    // A page with less text and nothing to fill leaves the article, and its entry, as they were.
    expect(text(preparedRecentEntry(withPage(copy!, { text: '', html: '' }))?.json)).toBe(recentJson(article('a', { language: undefined })));
  });

  it('are not used when a field changed in place, or under other feed tags', () => {
    const [copy] = fromThread([article('a')], ['world']);
    expect(preparedRecentEntry(copy!, ['world'])).toBeDefined();
    expect(preparedRecentEntry(copy!, ['world', 'europe'])).toBeUndefined();
    expect(preparedRecentEntry(copy!)).toBeUndefined();
    copy!.title = 'Story a, updated';
    expect(preparedRecentEntry(copy!, ['world'])).toBeUndefined();
  });

  it('go each to its own article, in order', () => {
    const items = [article('a'), article('b', { content: 'é'.repeat(300) }), article('c')];
    const copies = structuredClone(items);
    attachRecentEntries(copies, prepareRecentEntries(items));
    expect(copies.map((copy) => text(preparedRecentEntry(copy)?.json))).toEqual(items.map((item) => recentJson(item)));
  });

  it('are absent from articles that did not come from a thread with them', () => {
    expect(preparedRecentEntry(article('a'))).toBeUndefined();
    const [copy] = fromThread([article('a')]);
    expect(preparedRecentEntry(JSON.parse(JSON.stringify(copy)) as Article)).toBeUndefined();
  });
});
