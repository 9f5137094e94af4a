import { describe, expect, it } from 'vitest';
import { prepareArticle, RuleIndex, type MatchInput, type PreparedArticle } from '../../src/match/index.js';
import { wordIds } from '../../src/match/word-ids.js';

// One article whose words repeat across fields in several written forms (case, possessive,
// hyphenated and joined), with every expected word, token and hit written out by hand.
const ARTICLE: MatchInput = {
  id: 'a',
  //      0    5    10   15   20   25   30   35   40   45
  title: "Cease-fire talks: Russia's talks with Ukraine",
  summary: 'UKRAINE and Russia talk of a ceasefire.',
  content: "Peace talking resumed. The fire stopped; Ukraine's cease-fire holds.",
};

/** Field, start and end of each token of a word, read from the prepared article. */
function tokens(d: PreparedArticle, norm: string): string[] {
  const fields = ['', 'title', 'summary', '', 'content'];
  return (d.norms.get(norm)?.toks ?? []).map((t) => `${fields[d.tokField[t]!]}:${d.tokStart[t]}-${d.tokEnd[t]}`);
}

const RULES = [
  { id: 'stem', query: 'talk' },
  { id: 'phrase', query: '"cease-fire talks"' },
  { id: 'near', query: 'ceasefire NEAR/2 ukraine' },
  { id: 'prefix', query: 'russ*' },
  { id: 'regex', query: '/cease-?fire/' },
  { id: 'field', query: 'title:ukraine -moscow' },
  { id: 'exact', query: '"ukraine"' },
  { id: 'no-phrase', query: '"peace talks"' },
  { id: 'excluded', query: 'fire -"fire stopped"' },
];

const EXPECTED = [
  {
    rule: 'stem',
    hits: [
      { term: 'talk', field: 'title', start: 11, end: 16 },
      { term: 'talk', field: 'title', start: 27, end: 32 },
      { term: 'talk', field: 'summary', start: 19, end: 23 },
      { term: 'talk', field: 'content', start: 6, end: 13 },
    ],
  },
  { rule: 'phrase', hits: [{ term: '"cease-fire talks"', field: 'title', start: 0, end: 16 }] },
  {
    rule: 'near',
    hits: [
      { term: 'ukraine', field: 'content', start: 41, end: 48 },
      { term: 'ceasefire', field: 'content', start: 51, end: 61 },
    ],
  },
  {
    rule: 'prefix',
    hits: [
      { term: 'russ*', field: 'title', start: 18, end: 24 },
      { term: 'russ*', field: 'summary', start: 12, end: 18 },
    ],
  },
  {
    rule: 'regex',
    hits: [
      { term: '/cease-?fire/', field: 'title', start: 0, end: 10 },
      { term: '/cease-?fire/', field: 'summary', start: 29, end: 38 },
      { term: '/cease-?fire/', field: 'content', start: 51, end: 61 },
    ],
  },
  { rule: 'field', hits: [{ term: 'ukraine', field: 'title', start: 38, end: 45 }] },
  {
    rule: 'exact',
    hits: [
      { term: '"ukraine"', field: 'title', start: 38, end: 45 },
      { term: '"ukraine"', field: 'summary', start: 0, end: 7 },
      { term: '"ukraine"', field: 'content', start: 41, end: 48 },
    ],
  },
];

describe('preparing an article', () => {
  it('indexes every written form of a word under one normalised word, in text order', () => {
    const d = prepareArticle(ARTICLE);
    expect(tokens(d, 'ukraine')).toEqual(['title:38-45', 'summary:0-7', 'content:41-48']);
    expect(tokens(d, 'talks')).toEqual(['title:11-16', 'title:27-32']);
    expect(tokens(d, 'russia')).toEqual(['title:18-24', 'summary:12-18']);
    expect(tokens(d, 'fire')).toEqual(['title:6-10', 'content:27-31', 'content:57-61']);
    expect(tokens(d, 'moscow')).toEqual([]);
  });

  it('adds the joined form of a hyphenated word, spanning the positions of its parts', () => {
    const d = prepareArticle(ARTICLE);
    expect(tokens(d, 'ceasefire')).toEqual(['title:0-10', 'summary:29-38', 'content:51-61']);
    const spans = d.norms.get('ceasefire')!.toks.map((t) => d.tokEndPos[t]! - d.tokPos[t]!);
    expect(spans).toEqual([1, 0, 1]);
  });

  it('groups the words of a stem in order of first occurrence, with the fields they occur in', () => {
    const d = prepareArticle(ARTICLE);
    const talk = d.stems.get('talk')!;
    expect(talk.norms.map((n) => n.norm)).toEqual(['talks', 'talk', 'talking']);
    expect(talk.fields).toBe(1 | 2 | 4);
    expect(d.norms.get('talks')!.fields).toBe(1);
    expect(d.norms.get('ukraine')!.fields).toBe(1 | 2 | 4);
  });

  it('gives each rule its matches and hits, through the index and the same again later', () => {
    const index = RuleIndex.build(RULES, { minIndexedRules: 0 });
    expect(index.match(ARTICLE)).toEqual(EXPECTED);
    const d = prepareArticle(ARTICLE);
    expect(index.match(d)).toEqual(EXPECTED);
    expect(index.match(d)).toEqual(EXPECTED);
  });

  it('gives the same words whichever article is prepared first, when their words meet', () => {
    const first = prepareArticle(ARTICLE);
    const other = prepareArticle({ id: 'b', content: "Ukraine's talks: a cease-fire, talks and fire. Ukraine talking." });
    // Words are prepared on first use: the later article's first.
    expect(other.count).toBe(11);
    expect(tokens(other, 'ukraine')).toEqual(['content:0-7', 'content:47-54']);
    expect(tokens(other, 'talks')).toEqual(['content:10-15', 'content:31-36']);
    expect(tokens(first, 'ukraine')).toEqual(['title:38-45', 'summary:0-7', 'content:41-48']);
    expect(tokens(first, 'talks')).toEqual(['title:11-16', 'title:27-32']);
    expect(RuleIndex.build(RULES, { minIndexedRules: 0 }).match(first)).toEqual(EXPECTED);
  });

  it('tells apart words written to share one hash under a fixed multiplier ("Aa" and "BB" under 31)', () => {
    // All 64 words of six such pairs, twice each; a hostile feed can hold thousands of them.
    const words = Array.from({ length: 64 }, (_, i) => Array.from({ length: 6 }, (_, b) => ((i >> b) & 1 ? 'BB' : 'Aa')).join(''));
    const d = prepareArticle({ id: 'c', content: [...words, ...words].join(' ') });
    expect(d.count).toBe(128);
    expect(tokens(d, 'aaaaaaaaaaaa')).toEqual(['content:0-12', `content:${64 * 13}-${64 * 13 + 12}`]);
    expect(tokens(d, 'bbbbbbbbbbbb')).toEqual([`content:${63 * 13}-${63 * 13 + 12}`, `content:${127 * 13}-${127 * 13 + 12}`]);
    expect(new Set(words.map((w) => w.toLowerCase())).size).toBe(64);
    expect(words.every((w) => tokens(d, w.toLowerCase()).length === 2)).toBe(true);
  });
});

describe('the cache of words met so far', () => {
  /** `count` made-up words of letters only, each different ("aaab", "aaac", …), from `from` on. */
  const madeUp = (from: number, count: number) =>
    Array.from({ length: count }, (_, i) => {
      let n = from + i;
      let w = '';
      for (let k = 0; k < 5; k++, n = Math.floor(n / 26)) w = String.fromCharCode(97 + (n % 26)) + w;
      return `q${w}`;
    }).join(' ');

  it('is replaced when full, while an article prepared before it keeps its words', () => {
    const before = prepareArticle(ARTICLE);
    expect(before.count).toBeGreaterThan(0);
    // More distinct words than a cache holds (200,000), in articles of 50,000.
    let made = 0;
    for (let a = 0; a < 5; a++) {
      const d = prepareArticle({ id: `fill${a}`, content: madeUp(a * 50_000, 50_000) });
      made += d.count;
      expect(d.distinctNorm(49_999)).toBe(madeUp(a * 50_000 + 49_999, 1));
    }
    expect(made).toBe(250_000);
    expect(tokens(before, 'ukraine')).toEqual(['title:38-45', 'summary:0-7', 'content:41-48']);
    expect(before.stems.get('talk')!.norms.map((n) => n.norm)).toEqual(['talks', 'talk', 'talking']);
    const after = prepareArticle(ARTICLE);
    expect(tokens(after, 'ceasefire')).toEqual(['title:0-10', 'summary:29-38', 'content:51-61']);
    const index = RuleIndex.build(RULES, { minIndexedRules: 0 });
    expect(index.match(before)).toEqual(EXPECTED);
    expect(index.match(after)).toEqual(EXPECTED);
  });
});

describe('word ids dropped between preparing and matching', () => {
  it('gives every rule the same matches and hits after the ids moved to a new generation', () => {
    const index = RuleIndex.build(RULES, { minIndexedRules: 0 });
    const d = prepareArticle(ARTICLE);
    expect(index.match(d)).toEqual(EXPECTED);
    const e = prepareArticle(ARTICLE);
    expect(e.count).toBeGreaterThan(0);
    const generation = wordIds.generation;
    wordIds.trim(0);
    expect(wordIds.generation).toBe(generation + 1);
    // Ids handed out in the new generation first to other words, so that old ids mean other words now.
    expect(prepareArticle({ id: 'other', content: 'Moscow talks stalled; a truce is not near.' }).count).toBe(8);
    // Asked by id first (no rule index refreshing the article's ids before; e by word, d by stem), then through the index.
    expect(e.wordFieldsById(wordIds.norm('ukraine'))).toBe(1 | 2 | 4);
    expect(d.stemById(wordIds.stem(d.stemLanguage, 'talk'))!.norms.map((n) => n.norm)).toEqual(['talks', 'talk', 'talking']);
    expect(d.wordFieldsById(wordIds.norm('ukraine'))).toBe(1 | 2 | 4);
    expect(d.wordById(wordIds.norm('moscow'))).toBeUndefined();
    expect(index.match(d)).toEqual(EXPECTED);
  });
});
