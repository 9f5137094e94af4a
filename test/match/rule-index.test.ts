import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileRule, evaluateRule, parseQuery, prepareArticle, RuleCompileError, RuleIndex, WordFrequencies, type MatchInput, type MatchStats, type RuleSpec } from '../../src/match/index.js';
import { LiteralSet } from '../../src/match/literals.js';
import { wordIds } from '../../src/match/word-ids.js';

// A small vocabulary with stems, hyphens, possessives, diacritics and case, so that random
// queries and articles often meet.
const WORDS = ['Ukraine', 'ukrainian', 'ceasefire', 'cease-fire', 'cease', 'fire', 'talks', 'talk', 'peace', "Russia's", 'russia', 'negotiations', 'negotiating', 'Zelenskyí', 'zelenskyi', 'the', 'vote', 'états'];
const QUERY_WORDS = ['ukraine', 'ceasefire', 'cease-fire', 'fire', 'talks', 'talk', 'peace', 'russia', 'negotiation', 'zelenskyi', 'the', 'vote', 'etats', 'TALKS'];
const PREFIXES = ['neg*', 'ukrain*', 'cease*', 'ta*', 'z*', 'p*', '\u0600*'];

const text = fc.array(fc.constantFrom(...WORDS), { maxLength: 12 }).chain((ws) =>
  fc.array(fc.constantFrom(' ', ' ', ', ', '. ', ' - ', '\n'), { minLength: ws.length, maxLength: ws.length }).map((seps) => ws.map((w, i) => w + seps[i]).join('')),
);

const articleArb: fc.Arbitrary<MatchInput> = fc.record({
  id: fc.constant('a'),
  title: fc.option(text, { nil: undefined }),
  summary: fc.option(text, { nil: undefined }),
  content: fc.option(text, { nil: undefined }),
  url: fc.option(fc.constantFrom('https://www.bbc.co.uk/news/live/1', 'https://edition.cnn.com/2025/world', 'not a url'), { nil: undefined }),
  feed: fc.option(fc.constantFrom('bbc', 'cnn'), { nil: undefined }),
  feedTags: fc.option(fc.constantFrom(['europe'], ['us', 'world']), { nil: undefined }),
  language: fc.option(fc.constantFrom('en', 'en-GB', 'fr', 'de'), { nil: undefined }),
});

const leaf = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...QUERY_WORDS) },
  { weight: 2, arbitrary: fc.array(fc.constantFrom(...QUERY_WORDS), { minLength: 1, maxLength: 3 }).map((ws) => `"${ws.join(' ')}"`) },
  { weight: 2, arbitrary: fc.constantFrom(...PREFIXES) },
  { weight: 1, arbitrary: fc.constantFrom('site:bbc.co.uk', 'site:cnn.com', 'feed:bbc', 'feed:europe', 'lang:en', 'lang:fr', 'url:/live/') },
  { weight: 1, arbitrary: fc.constantFrom('/cease-?fire/', '/talks?\\b/', '/^ukraine/', '/zelensk(yi|iy)/', '/(?:peace|war) talks/', '/negotiat\\w+/', '/TALKS|vote/', '/C\\+\\+/') },
);
const positional = fc.oneof(fc.constantFrom(...QUERY_WORDS), fc.constantFrom(...PREFIXES), fc.constant('"peace talks"'), fc.constant('(peace OR russia)'));

function parses(q: string): boolean {
  try {
    parseQuery(q);
    return true;
  } catch {
    return false; // e.g. NOT inside NEAR; syntax errors have their own tests
  }
}

const query: fc.Arbitrary<string> = fc.letrec<{ q: string }>((tie) => ({
  q: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 4, arbitrary: leaf },
    fc.tuple(fc.constantFrom('title:', 'summary:', 'content:'), leaf.filter((l) => !/^(site|feed|lang|url):/.test(l))).map(([f, l]) => f + l),
    fc.tuple(tie('q'), tie('q')).map(([a, b]) => `${a} ${b}`),
    fc.tuple(tie('q'), tie('q')).map(([a, b]) => `(${a} AND ${b})`),
    fc.tuple(tie('q'), tie('q')).map(([a, b]) => `(${a} OR ${b})`),
    tie('q').map((a) => `-(${a})`),
    tie('q').map((a) => `NOT ${a}`),
    fc.tuple(positional, fc.integer({ min: 0, max: 4 }), positional).map(([a, n, b]) => `${a} NEAR/${n} ${b}`),
    // A side NEAR itself needs two occurrences (issue 12 item 18).
    fc.tuple(positional, fc.integer({ min: 0, max: 4 })).map(([a, n]) => `${a} NEAR/${n} ${a}`),
  ),
})).q.filter(parses);

const ruleArb: fc.Arbitrary<Omit<RuleSpec, 'id'>> = fc.oneof(
  { weight: 4, arbitrary: query.map((q) => ({ query: q })) },
  fc.record({ all: fc.array(query, { maxLength: 2 }), any: fc.array(query, { maxLength: 2 }), none: fc.array(query, { maxLength: 2 }) }, { requiredKeys: [] }).filter((r) => (r.all?.length ?? 0) + (r.any?.length ?? 0) > 0),
);

function direct(rules: RuleSpec[], a: MatchInput) {
  const d = prepareArticle(a);
  return rules.map(compileRule).flatMap((r) => evaluateRule(r, d) ?? []);
}

describe('RuleIndex', () => {
  it('returns exactly what evaluating every rule directly returns (property)', () => {
    fc.assert(
      fc.property(fc.array(ruleArb, { minLength: 1, maxLength: 25 }), fc.array(articleArb, { minLength: 1, maxLength: 4 }), fc.boolean(), (specs, articles, freq) => {
        const rules = specs.map((s, i) => ({ id: `r${i}`, ...s }));
        const index = RuleIndex.build(rules, { minIndexedRules: 0, ...(freq ? { frequencies: WordFrequencies.measure(articles.map(prepareArticle)) } : {}) });
        for (const a of articles) expect(index.match(a)).toEqual(direct(rules, a));
      }),
      { numRuns: 1500 },
    );
  }, 120_000);

  it('evaluates only candidate rules and the rules it cannot index', () => {
    const index = RuleIndex.build([
      { id: 'ukraine', query: 'ukraine ceasefire' },
      { id: 'election', query: 'election OR vote' },
      { id: 'not', query: '-football' },
      { id: 'regex', query: '/cease-?fire/' },
      { id: 'site', query: 'site:bbc.co.uk' },
    ], { minIndexedRules: 0 });
    const stats: MatchStats = { candidates: 0, evaluated: 0, matched: 0 };
    const got = index.match({ id: 'a', content: 'Ukraine agreed a cease-fire', url: 'https://cnn.com/x' }, stats);
    expect(got.map((m) => m.rule)).toEqual(['ukraine', 'not', 'regex']);
    // The regex is selected by its literal "cease"; only the pure negation is always checked.
    expect(stats).toEqual({ candidates: 2, evaluated: 3, matched: 3 });
    expect(index.alwaysChecked).toBe(1);
  });

  it('selects rules by stems of the article language', () => {
    const index = RuleIndex.build([{ id: 'fr', query: 'negociation' }], { minIndexedRules: 0 });
    expect(index.match({ id: 'a', content: 'Les négociations continuent', language: 'fr' }).map((m) => m.rule)).toEqual(['fr']);
  });

  it('evaluates every rule of a small index without looking words up', () => {
    const index = RuleIndex.build([{ id: 'a', query: 'ukraine' }, { id: 'b', query: 'election' }]);
    const stats: MatchStats = { candidates: 0, evaluated: 0, matched: 0 };
    expect(index.match({ id: 'x', content: 'Ukraine' }, stats).map((m) => m.rule)).toEqual(['a']);
    expect(stats.evaluated).toBe(2);
  });

  it('prepares no words for rules that only look at metadata', () => {
    const article = prepareArticle({ id: 'a', title: 'Ceasefire talks', feed: 'bbc', feedTags: ['europe'], language: 'en', url: 'https://www.bbc.co.uk/news/1' });
    const meta = RuleIndex.build([{ id: 'feed', query: 'feed:bbc' }, { id: 'tag-site', query: 'feed:europe site:bbc.co.uk lang:en url:/news/' }, { id: 'other', query: 'feed:cnn' }]);
    expect(meta.match(article).map((m) => m.rule)).toEqual(['feed', 'tag-site']);
    expect(article.wordsPrepared).toBe(false);
    expect(RuleIndex.build([{ id: 'words', query: 'feed:bbc ceasefire' }]).match(article).map((m) => m.rule)).toEqual(['words']);
    expect(article.wordsPrepared).toBe(true);
  });

  it('selects site: rules for subdomains', () => {
    const index = RuleIndex.build([{ id: 's', query: 'site:bbc.co.uk' }], { minIndexedRules: 0 });
    expect(index.match({ id: 'a', url: 'https://www.news.bbc.co.uk/x' })).toHaveLength(1);
    expect(index.match({ id: 'a', url: 'https://notbbc.co.uk/x' })).toHaveLength(0);
  });
});

describe('RuleIndex: adding and removing rules', () => {
  const ops = fc.array(
    fc.oneof(
      { weight: 3, arbitrary: fc.tuple(fc.constant('add' as const), fc.integer({ min: 0, max: 150 }), ruleArb) },
      { weight: 2, arbitrary: fc.tuple(fc.constant('remove' as const), fc.integer({ min: 0, max: 150 }), fc.constant(undefined)) },
      { weight: 1, arbitrary: fc.tuple(fc.constant('match' as const), fc.integer({ min: 0, max: 3 }), fc.constant(undefined)) },
    ),
    { minLength: 10_000, maxLength: 10_000 },
  );

  it('matches exactly as a freshly built index after 10,000 random adds and removes (property)', () => {
    fc.assert(
      fc.property(ops, fc.array(articleArb, { minLength: 4, maxLength: 4 }), (steps, articles) => {
        const index = RuleIndex.build([], { minIndexedRules: 0 });
        // The model: rules in result order; an update keeps its place, a new id goes last.
        const model: RuleSpec[] = [];
        steps.forEach(([op, n, spec], step) => {
          const id = `r${n}`;
          const at = model.findIndex((r) => r.id === id);
          if (op === 'add') {
            index.add({ id, ...spec });
            if (at === -1) model.push({ id, ...spec });
            else model[at] = { id, ...spec };
          } else if (op === 'remove') {
            expect(index.remove(id)).toBe(at !== -1);
            if (at !== -1) model.splice(at, 1);
          } else {
            // Matching between changes builds the word tables that later adds must update.
            index.match(articles[n]!);
            if (step % 2000 === 0) wordIds.trim(0);
          }
          if (step % 1000 === 999) {
            const fresh = RuleIndex.build(model, { minIndexedRules: 0 });
            for (const a of articles) expect(index.match(a), `after step ${step}`).toEqual(fresh.match(a));
          }
        });
        expect(index.size).toBe(model.length);
        expect(index.rules.map((r) => r.id)).toEqual(model.map((r) => r.id));
        for (const a of articles) expect(index.match(a)).toEqual(direct(model, a));
      }),
      // Shrinking 10,000 steps takes long; the message names the step instead.
      { numRuns: 3, endOnFailure: true },
    );
  }, 120_000);

  it('puts a new rule last, keeps an updated rule in its place, and forgets a removed one', () => {
    const index = RuleIndex.build([
      { id: 'a', query: 'ukraine' },
      { id: 'b', query: 'truce' },
    ]);
    const article = { id: 'x', content: 'Ukraine agrees a truce; a ceasefire holds' };
    index.add({ id: 'c', query: 'ceasefire' });
    expect(index.match(article).map((m) => m.rule)).toEqual(['a', 'b', 'c']);
    index.add({ id: 'a', query: 'ceasefire OR kyiv' });
    expect(index.match(article).map((m) => m.rule)).toEqual(['a', 'b', 'c']);
    expect(index.match({ id: 'y', content: 'Ukraine' })).toEqual([]);
    expect(index.remove('b')).toBe(true);
    expect(index.remove('b')).toBe(false);
    index.add({ id: 'b', query: 'truce' });
    expect(index.match(article).map((m) => m.rule)).toEqual(['a', 'c', 'b']);
    expect(index.size).toBe(3);
  });

  it('leaves the index unchanged when an added rule does not parse', () => {
    const index = RuleIndex.build([{ id: 'a', query: 'ukraine' }]);
    expect(() => index.add({ id: 'a', query: 'ukraine (truce' })).toThrow(RuleCompileError);
    expect(index.match({ id: 'x', content: 'Ukraine' }).map((m) => m.rule)).toEqual(['a']);
  });

  it('takes a repeated id in build as an update in place', () => {
    const index = RuleIndex.build([
      { id: 'a', query: 'ukraine' },
      { id: 'b', query: 'truce' },
      { id: 'a', query: 'kyiv' },
    ]);
    expect(index.size).toBe(2);
    expect(index.match({ id: 'x', content: 'Kyiv truce, Ukraine' }).map((m) => m.rule)).toEqual(['a', 'b']);
    expect(index.match({ id: 'x', content: 'Ukraine' })).toEqual([]);
  });
});

describe('RuleIndex: regex literals and word ids', () => {
  // Characters that make raw text, lower-cased text and normalised words differ: the Kelvin
  // sign and long s (which a case-insensitive regex takes for k and s), dotted capital I,
  // combining marks, soft hyphen, zero-width joiner, curly and straight possessives, full-width
  // letters, digits, hyphens and a CJK character.
  const PIECES = ['k', 'a', 's', 'b', 'c', '1', 'K', '\u212a', '\u017f', '\u0130', '\u0301', '\u00ad', '\u200d', "'s", '\u2019s', '\uff41', '-', ' ', '.', '中', 'ab', 'kas', 'sun', '_', '😀', '\u202f'];
  const raw = fc.array(fc.constantFrom(...PIECES), { maxLength: 16 }).map((ps) => ps.join(''));
  const REGEXES = ['/kas/', '/sun/', '/abc/', '/a1b/', '/ka+s/', '/s?kab/', '/bas(un)?/', '/ss[ka]/', '/kas|sun/'];

  it('finds a rule through its literal whenever the regex matches the raw text (property)', () => {
    fc.assert(
      fc.property(fc.subarray(REGEXES, { minLength: 1 }), fc.array(raw, { minLength: 1, maxLength: 5 }), (regexes, texts) => {
        const rules = regexes.map((q, i) => ({ id: `r${i}`, query: i % 2 ? `${q} OR ${q}` : q }));
        const index = RuleIndex.build(rules, { minIndexedRules: 0 });
        for (const t of texts) {
          const a = { id: 'a', title: t, content: `${t} ${t.toUpperCase()}` };
          expect(index.match(a)).toEqual(direct(rules, a));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('finds regex literals in segments that are not words, and indexes a prefix that folds to nothing', () => {
    // ICU makes "abc\u200d😀" and "abc_\u00ad" single segments that are not word-like.
    const rules = [
      { id: 'r', query: '/abc/' },
      { id: 'n', query: '/nuclear/' },
      { id: 'empty', query: '\u0600*' },
      { id: 'ab', query: 'ab*' },
    ];
    const index = RuleIndex.build(rules, { minIndexedRules: 0 });
    for (const title of ['abc\u200d😀', 'Nuclear\u200d☢\ufe0f deal', 'abc_\u00ad', 'abc_\u0301', 'abc']) {
      const a = { id: 'a', title };
      expect(index.match(a), title).toEqual(direct(rules, a));
      expect(index.match(a).length, title).toBeGreaterThan(0);
    }
  });

  it('keeps matching when the word ids start a new generation between articles', () => {
    const rules = [
      { id: 'stem', query: 'negotiation' },
      { id: 'exact', query: '"talks"' },
      { id: 'prefix', query: 'ukrain*' },
      { id: 'regex', query: '/cease-?fire/' },
    ];
    const index = RuleIndex.build(rules, { minIndexedRules: 0 });
    const before = prepareArticle({ id: 'a', content: 'Negotiations on a cease-fire: talks in Ukrainian cities' });
    expect(index.match(before).map((m) => m.rule)).toEqual(['stem', 'exact', 'prefix', 'regex']);
    wordIds.trim(0); // drops every id
    const after = prepareArticle({ id: 'b', content: 'Talks, not negotiating; a ceasefire for Ukraine' });
    expect(index.match(after).map((m) => m.rule)).toEqual(['stem', 'exact', 'prefix', 'regex']);
    // An article prepared before the change still matches: its ids are asked for again.
    expect(index.match(before).map((m) => m.rule)).toEqual(['stem', 'exact', 'prefix', 'regex']);
    expect(index.match({ id: 'c', content: 'talk' })).toEqual([]);
  });
});

describe('LiteralSet', () => {
  it('reports exactly the literals a text contains, however many there are (property)', () => {
    const alphabet = fc.constantFrom('a', 'b', 'c', 'ab', 'abc', ' ', 'é', '\u212a');
    const lit = fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 3, maxLength: 5 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(fc.uniqueArray(lit, { minLength: 1, maxLength: 9 }), fc.array(alphabet, { maxLength: 30 }).map((cs) => cs.join('')), (lits, text) => {
        const set = new LiteralSet(new Map(lits.map((l, i) => [l, i])));
        const found = new Set<number>();
        set.scan(text, (id) => found.add(id));
        expect([...found].sort((x, y) => x - y)).toEqual(lits.flatMap((l, i) => (text.includes(l) ? [i] : [])));
      }),
      { numRuns: 1000 },
    );
  });
});
