// Known RSS items and Atom entries taken out before parsing (src/feeds/known-items.ts): only the
// items whose id is their guid (or Atom id), and the feed's normalised result the same as when
// every item is parsed.

import { describe, expect, it } from 'vitest';
import { withoutKnownItems } from '../../src/feeds/known-items.js';
import { normaliseFeedItems, type FeedRef } from '../../src/feeds/normalise.js';
import { parseFeed } from '../../src/feeds/parse.js';
import { canonicalFeedXml } from '../../src/feeds/xml-canonical.js';

const feed: FeedRef = { id: 'wire', url: 'https://news.example.org/feeds/world.xml' };
const now = new Date('2026-11-24T12:00:00Z');

const MIXED = `<?xml version="1.0"?>
<rss version="2.0"><channel><title>W</title>
  <item><guid isPermaLink="false">  g-1 </guid><title>One</title><link>/a</link><description>Talks in Kyiv.</description></item>
  <item><title>Two</title><link>/b?utm_medium=x</link></item>
  <item><guid></guid><title>Three</title><link>/c</link></item>
  <item><guid><![CDATA[g-4]]></guid><title>Four</title></item>
  <item><guid>g-<b>5</b></guid><title>Five</title></item>
  <item><guid>g-1</guid><title>One again</title></item>
  <item><guid>g-7</guid><guid>g-1</guid><title>Seven</title></item>
  <item><guid>https://news.example.org/a</guid><title>Eight, the link of One as guid</title></item>
</channel>
<channel><item><guid>g-1</guid><title>A second channel, which rss-parser never reads</title></item></channel></rss>`;

const ATOM = `<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
  <entry><id> tag:a,2026:1 </id><title>One</title><link href="/one"/><updated>2026-11-24T10:00:00Z</updated></entry>
  <entry><source><id>tag:src</id></source><id>tag:a,2026:2</id><title>Two</title></entry>
  <entry><id>tag:a,2026:3</id><id>tag:a,2026:9</id><title>Three</title><summary type="html">&lt;p&gt;x&lt;/p&gt;</summary></entry>
  <entry><id></id><title>Four</title><link href="/four"/></entry>
  <entry><id>tag:a,<x xmlns="urn:x">2026</x>:5</id><title>Five</title></entry>
  <entry><id>tag:a,2026:1</id><title>One again</title></entry>
</feed>`;

/** The feed normalised as the poll does it: parsed with the known ids, then normalised with them. */
async function read(xml: string, known: string[], ref: FeedRef = feed) {
  const parsed = await parseFeed(xml, 'test', { known: new Set(known), identity: ref.identity });
  return { parsed, result: normaliseFeedItems(parsed, ref, now, { known }) };
}

describe('known items taken out before parsing', () => {
  it('takes out the items whose first guid holds a known id as text, and no others', () => {
    const { events } = canonicalFeedXml(MIXED);
    const out = withoutKnownItems(events, new Set(['g-1', 'g-4', 'g-5', 'g-7', 'https://news.example.org/c', 'https://news.example.org/b']));
    // One (its guid trimmed), Four (CDATA), One again, Seven (its first guid); not Two or Three
    // (their ids are their links), not Five (an element in its guid), nor the second channel's.
    expect(out?.identified).toEqual([
      { index: 0, id: 'g-1' },
      { index: 3, id: 'g-4' },
      { index: 5, id: 'g-1' },
      { index: 6, id: 'g-7' },
    ]);
    expect(out!.events.length).toBeLessThan(events.length);
    expect(withoutKnownItems(events, new Set(['nothing-here']))).toBeUndefined();
    expect(withoutKnownItems(canonicalFeedXml('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><item rdf:about="g-1"><title>t</title></item></rdf:RDF>').events, new Set(['g-1']))).toBeUndefined();
  });

  it('takes out Atom entries by their first id, not a source\'s', () => {
    const { events } = canonicalFeedXml(ATOM);
    expect(withoutKnownItems(events, new Set(['tag:a,2026:1', 'tag:a,2026:3', 'tag:src', 'tag:a,2026:5']))?.identified).toEqual([
      { index: 0, id: 'tag:a,2026:1' },
      { index: 2, id: 'tag:a,2026:3' },
      { index: 5, id: 'tag:a,2026:1' },
    ]);
  });

  it('leaves the normalised feed as it is when every item is parsed: items, known ids in order, repeats', async () => {
    const everything = normaliseFeedItems(await parseFeed(MIXED, 'test'), feed, now);
    const ids = [...new Set([...everything.items.map((i) => i.id)])];
    expect(ids.length).toBeGreaterThan(4);
    for (const known of [[], ['g-1'], ['g-1', 'g-4', 'g-7'], ids, [ids[1]!, 'g-4', 'gone-from-the-feed'], [...ids, 'g-5']]) {
      const { parsed, result } = await read(MIXED, known);
      const slow = normaliseFeedItems(await parseFeed(MIXED, 'test'), feed, now, { known });
      expect(result, `known ${JSON.stringify(known)}`).toEqual(slow);
      if (known.includes('g-1')) expect(parsed.identified?.length).toBeGreaterThan(0);
    }
  });

  it('leaves an Atom feed normalised as it is when every entry is parsed', async () => {
    const everything = normaliseFeedItems(await parseFeed(ATOM, 'test'), feed, now);
    const ids = everything.items.map((i) => i.id);
    expect(ids).toContain('tag:a,2026:1');
    for (const known of [['tag:a,2026:1'], ids, [ids[1]!, ids[3]!, 'tag:src', 'tag:a,2026:9']]) {
      const { parsed, result } = await read(ATOM, known);
      expect(result, `known ${JSON.stringify(known)}`).toEqual(normaliseFeedItems(await parseFeed(ATOM, 'test'), feed, now, { known }));
      if (known.includes('tag:a,2026:1')) expect(parsed.identified?.length).toBeGreaterThan(0);
    }
  });

  it('reads every item when the feed identifies items by link', async () => {
    const byLink: FeedRef = { ...feed, identity: 'link' };
    const { parsed, result } = await read(MIXED, ['g-1', 'g-4'], byLink);
    expect(parsed.identified).toBeUndefined();
    expect(result).toEqual(normaliseFeedItems(await parseFeed(MIXED, 'test'), byLink, now, { known: ['g-1', 'g-4'] }));
  });
});
