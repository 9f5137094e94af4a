// Fuzzing the query language (issue 13): parser, linter, the subscribe page's check, compiler,
// matcher and rule index, on random strings, token soup and grammar-built queries against
// generated articles. Every query either parses or is refused with a QuerySyntaxError that points
// into it; a parsed one lints to strings and matches every article within the hang limit, with
// hits inside the text and the rule index agreeing with direct evaluation.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MatchInput } from '../../src/match/index.js';
import { HangGuard } from '../helpers/hang-guard.js';
import { fuzzTimeout, runFuzz } from './budget.js';
import type { QueryOutcome } from './targets.js';

/** A case that takes this long hangs (one takes milliseconds); the margin covers a loaded machine. */
const HANG_MS = 5_000;
const guard = new HangGuard(new URL('./targets.ts', import.meta.url).href, HANG_MS);
beforeAll(() => guard.start(), 60_000);
afterAll(() => guard.close());

const WORDS = ['ukraine', 'talks', 'talk', 'war', 'wars', 'peace', 'cease', 'fire', 'ceasefire', 'grain', 'the', 'and', 'or', 'not', 'near', 'Zelenskyí', 'straße', 'İstanbul', '日本語', 'ﬁre', 'café', 'x', '2024', "Russia's"];
const word = fc.constantFrom(...WORDS);
/** Hyphenated words: mostly a few, so that queries and texts share them. */
const hyphenated = fc.oneof(fc.constantFrom('cease-fire', 'peace-talks', 'x-war'), fc.tuple(word, word).map(([a, b]) => `${a}-${b}`));
const wordOrHyphen = fc.oneof(word, hyphenated);

const REGEXES = ['cease-?fire', '(a+)+$', '(x+x+)+y', 'talks?', '\\bwar\\b', '^$', '.*', 'x*', '(?=x)', '\\1', '(a)\\1', 'a{2,}', 'a{1000}', '[', 'x|', '(?i)war', '\\p{L}+', '[^\\s]+', '(?<n>a)', 'x{0,99999}', '\\/', '(((((a)))))'];
const regexLiteral = fc.oneof(fc.constantFrom(...REGEXES), fc.string({ maxLength: 12 }).map((s) => s.replace(/\//g, '\\/'))).map((r) => `/${r}/`);
const meta = fc.oneof(
  fc.constantFrom('site:bbc.co.uk', 'site:example.org', 'feed:wire', 'feed:europe', 'lang:en', 'lang:en-GB', 'lang:de', 'url:/live/', 'url:news'),
  fc.tuple(fc.constantFrom('site:', 'feed:', 'lang:', 'url:'), fc.string({ maxLength: 6 })).map(([f, v]) => f + v),
);

const leaf = fc.oneof(
  { weight: 5, arbitrary: wordOrHyphen },
  { weight: 2, arbitrary: fc.array(wordOrHyphen, { minLength: 1, maxLength: 4 }).map((ws) => `"${ws.join(' ')}"`) },
  { weight: 2, arbitrary: fc.tuple(word, fc.integer({ min: 1, max: 5 })).map(([w, n]) => `${w.slice(0, n)}*`) },
  { weight: 1, arbitrary: regexLiteral },
  { weight: 1, arbitrary: meta },
);

/** Queries by the grammar (with its mistakes: lower-case operators, NOT inside NEAR, regex operands). */
const { query } = fc.letrec<{ query: string; positional: string }>((tie) => ({
  positional: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.tuple(tie('positional'), fc.integer({ min: 0, max: 12 }), tie('positional')).map(([a, n, b]) => `${a} NEAR/${n} ${b}`),
    fc.array(tie('positional'), { minLength: 2, maxLength: 3 }).map((xs) => `(${xs.join(' OR ')})`),
  ),
  query: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    tie('positional'),
    fc.tuple(fc.constantFrom('title:', 'summary:', 'content:', 'titel:'), tie('query')).map(([f, q]) => `${f}(${q})`),
    fc.tuple(fc.constantFrom('-', 'NOT ', 'not '), tie('query')).map(([op, q]) => `${op}${q}`),
    fc.tuple(tie('query'), fc.constantFrom(' ', ' AND ', ' OR ', ' or ', ' and ', '\n'), tie('query')).map(([a, op, b]) => a + op + b),
    tie('query').map((q) => `(${q})`),
    fc.tuple(word, fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 3 })).map(([w, levels, n]) => w + ` NEAR/${n} ${w}`.repeat(levels)),
    // A long phrase of one hyphenated word: each can match two ways (2^n before the fix).
    fc.tuple(hyphenated, fc.integer({ min: 1, max: 40 }), word).map(([w, n, last]) => `"${`${w} `.repeat(n)}${last}"`),
  ),
}));

/** Pieces of queries thrown together: finds what the grammar would never write. */
const TOKENS = ['(', ')', '"', '/', '*', '-', ':', 'NEAR/', 'NEAR/3', 'NEAR', 'AND', 'OR', 'NOT', 'title:', 'site:', '\\', '\n', ' ', '\u0000', '\uD800', '🏳️‍🌈', 'ﬁ'];
const soup = fc.array(fc.oneof(fc.constantFrom(...TOKENS), word, fc.string({ maxLength: 4 })), { maxLength: 30 }).map((parts) => parts.join(''));

const anyQuery = fc.oneof({ weight: 3, arbitrary: query }, { weight: 2, arbitrary: soup }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) });

const sentence = fc.array(fc.oneof({ weight: 8, arbitrary: wordOrHyphen }, { weight: 1, arbitrary: fc.constantFrom('.', ',', '—', '\n', '"') }), { maxLength: 60 }).map((ws) => ws.join(' '));
/** A text repeating one word thousands of times: what made NEAR chains explode (issue 13). */
const repetitive = fc.tuple(wordOrHyphen, fc.integer({ min: 100, max: 3_000 }), sentence).map(([w, n, s]) => `${s} ${`${w} `.repeat(n)}${s}`);
const article: fc.Arbitrary<MatchInput> = fc.record(
  {
    id: fc.constant('a'),
    title: sentence,
    summary: sentence,
    content: fc.oneof(sentence, repetitive),
    url: fc.constantFrom('https://www.bbc.co.uk/news/live/1', 'https://example.org/a?b=c', 'not a url'),
    feed: fc.constantFrom('wire', 'bbc-world'),
    feedTags: fc.constantFrom(['europe'], []),
    language: fc.constantFrom('en', 'en-GB', 'de', 'xx-YY', ''),
  },
  { requiredKeys: ['id'] },
);

describe('query language (fuzz)', () => {
  it(
    'parses or refuses with a positioned QuerySyntaxError, and matches every article within the hang limit',
    async () => {
      await runFuzz(
        'query',
        fc.asyncProperty(anyQuery, fc.array(article, { minLength: 1, maxLength: 3 }), async (q, articles) => {
          const outcome = await guard.call<QueryOutcome>('queryOutcome', { query: q, articles });
          if (outcome.kind === 'syntax-error') {
            expect(outcome.message).toMatch(/\S/);
            expect(Number.isInteger(outcome.offset) && outcome.offset >= 0 && outcome.offset <= q.length, `offset ${outcome.offset} in a query of ${q.length}`).toBe(true);
            if (outcome.length !== undefined) expect(outcome.length).toBeGreaterThanOrEqual(0);
            expect(outcome.formatted).toContain(outcome.message);
            // The subscribe page refuses what the parser refuses.
            expect(outcome.previewProblem).toMatch(/\S/);
            return;
          }
          for (const m of [...outcome.lint, ...outcome.warnings.map((w) => (w as { message: unknown }).message)]) expect(typeof m === 'string' && /\S/.test(m)).toBe(true);
          for (const r of outcome.results) {
            expect(r.indexAgrees).toBe(true);
            for (const h of r.hits ?? []) {
              expect(h.start >= 0 && h.start <= h.end && h.end <= r.fieldLengths[h.field]!, `hit ${JSON.stringify(h)}`).toBe(true);
            }
          }
        }),
      );
    },
    fuzzTimeout(),
  );
});
