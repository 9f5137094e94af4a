// Word seeds (src/match/word-seed.ts): an article's words found elsewhere (a sandbox thread) are
// used only for the very texts they were found in, never reach JSON, and select the same rules.

import { describe, expect, it } from 'vitest';
import { matchInputOf, withoutHtml, type Article } from '../../src/feeds/article.js';
import { prepareArticle, RuleIndex } from '../../src/match/index.js';
import { wordSeedOf } from '../../src/match/prepare.js';
import { attachWordSeed, WORD_SEED } from '../../src/match/word-seed.js';

const article = (over: Partial<Article> = {}): Article => ({
  id: 'a1',
  feed: 'wire',
  title: 'Cease-fire talks resume',
  summary: "Russia's envoys met Ukraine's in Geneva.",
  content: 'Diplomats said the négociations would go on; état major silent. Киев молчит. abc\u200d😀',
  language: 'en',
  ...over,
});

describe('word seeds', () => {
  it("holds the article's distinct words in order, hyphen joins and possessives as the matcher makes them", () => {
    const seed = wordSeedOf(article())!;
    const words = seed.norms.split('\n');
    expect(words.slice(0, 5)).toEqual(['cease', 'fire', 'ceasefire', 'talks', 'resume']);
    expect(words).toContain('russia');
    expect(words).toContain('negociations');
    expect(words).toContain('киев');
    expect(new Set(words).size).toBe(words.length);
    expect(seed.stemLanguage).toBe('english');
    expect(seed.loose).toContain('abc');
    expect(prepareArticle(matchInputOf(article())).distinctNorms).toEqual(words);
  });

  it('brings the tokens, so that an article whose rules read its words is not tokenised again: the same words, positions and fields', () => {
    const plain = prepareArticle(matchInputOf(article()));
    const seeded = article();
    attachWordSeed(seeded, wordSeedOf(seeded)!);
    const d = prepareArticle(matchInputOf(seeded));
    const tokens = (p: typeof d) => {
      const n = p.count;
      return [...p.tokField.subarray(0, n), ...p.tokStart.subarray(0, n), ...p.tokEnd.subarray(0, n), ...p.tokPos.subarray(0, n), ...p.tokEndPos.subarray(0, n)];
    };
    expect(d.count).toBe(plain.count);
    expect(tokens(d)).toEqual(tokens(plain));
    const infos = (p: typeof d) => p.distinct.map((n) => [n.norm, n.stem, n.first, n.last, n.count, n.fields, n.toks]);
    expect(infos(d)).toEqual(infos(plain));
    expect([...d.stems.keys()]).toEqual([...plain.stems.keys()]);
    expect(d.wordIdLists()).toEqual(plain.wordIdLists());
    expect(d.looseText).toBe(plain.looseText);
    // Its tokens are views of the seed's buffer, not a tokenisation of its own.
    expect(d.tokStart.buffer).toBe(seeded[WORD_SEED]!.tokens!.buffer);
  });

  it('is used while the texts are the ones it was made from, and ignored once they change', () => {
    const a = article();
    // A seed that does not describe the text: used, it shows in the words the index reads.
    attachWordSeed(a, { stemLanguage: 'english', norms: 'planted\nwords', loose: '' });
    expect(prepareArticle(matchInputOf(a)).distinctNorms).toEqual(['planted', 'words']);
    // The same texts as other strings still count; another text, or another language, does not.
    const copy = { ...a, content: `${a.content!.slice(0, 10)}${a.content!.slice(10)}` };
    expect(prepareArticle(matchInputOf(copy)).distinctNorms).toEqual(['planted', 'words']);
    const paged = { ...a, content: 'The page text replaced the teaser.' };
    expect(prepareArticle(matchInputOf(paged)).distinctNorms).toEqual(wordSeedOf(paged)!.norms.split('\n'));
    expect(prepareArticle(matchInputOf(paged)).distinctNorms).toContain('teaser');
    const french = { ...a, language: 'fr' };
    expect(prepareArticle(matchInputOf(french)).distinctNorms).not.toEqual(['planted', 'words']);
  });

  it('travels with the article on this thread but never in JSON', () => {
    const a = article();
    attachWordSeed(a, wordSeedOf(a)!);
    const stripped = withoutHtml(a);
    expect(stripped[WORD_SEED]).toBe(a[WORD_SEED]);
    expect(matchInputOf(stripped)[WORD_SEED]).toBe(a[WORD_SEED]);
    expect(JSON.stringify(stripped)).toBe(JSON.stringify(withoutHtml(article())));
    expect(WORD_SEED in matchInputOf(article())).toBe(false);
  });

  it('selects and matches the same rules, prefixes and regex literals included, without tokenising an article that selects none', () => {
    const index = RuleIndex.build(
      [
        { id: 'words', query: 'ceasefire AND russia' },
        { id: 'prefix', query: 'negoc*' },
        { id: 'loose', query: '/abc/' },
        { id: 'none', query: 'election' },
      ],
      { minIndexedRules: 0 },
    );
    const plain = index.match(matchInputOf(article()));
    const seeded = article();
    attachWordSeed(seeded, wordSeedOf(seeded)!);
    expect(index.match(matchInputOf(seeded))).toEqual(plain);
    expect(plain.map((m) => m.rule)).toEqual(['words', 'prefix', 'loose']);

    const other = article({ title: 'Budget vote', summary: '', content: 'Parliament passed the budget.' });
    attachWordSeed(other, wordSeedOf(other)!);
    const d = prepareArticle(matchInputOf(other));
    expect(index.match(d)).toEqual([]);
    expect(d.wordsPrepared).toBe(false);
  });
});
