import { describe, expect, it } from 'vitest';
import { compileRule, evaluateRule, prepareArticle, testRule, unmetClauses } from '../../src/match/index.js';

const a = prepareArticle({ id: 'a', title: 'Ukraine ceasefire talks', content: 'Russia and Ukraine met in Istanbul.' });

describe('rules with all/any/none lists', () => {
  it('requires every query of all:', () => {
    expect(testRule(compileRule({ id: 'r', all: ['ukraine', 'russia'] }), a)).toBe(true);
    expect(testRule(compileRule({ id: 'r', all: ['ukraine', 'election'] }), a)).toBe(false);
  });
  it('requires at least one query of any:', () => {
    expect(testRule(compileRule({ id: 'r', any: ['election', 'istanbul'] }), a)).toBe(true);
    expect(testRule(compileRule({ id: 'r', any: ['election', 'vote'] }), a)).toBe(false);
  });
  it('rejects an article that matches any query of none:', () => {
    expect(testRule(compileRule({ id: 'r', query: 'ukraine', none: ['election', 'istanbul'] }), a)).toBe(false);
    expect(testRule(compileRule({ id: 'r', query: 'ukraine', none: ['election', 'vote'] }), a)).toBe(true);
  });
  it('combines query: and the lists with AND', () => {
    expect(testRule(compileRule({ id: 'r', query: 'ceasefire', all: ['russia'], any: ['istanbul', 'ankara'], none: ['election'] }), a)).toBe(true);
    expect(testRule(compileRule({ id: 'r', query: 'election', all: ['russia'] }), a)).toBe(false);
  });
  it('explains a match with the hits of every list', () => {
    const m = evaluateRule(compileRule({ id: 'r', query: 'ceasefire', any: ['istanbul', 'ankara'] }), a);
    expect(m?.hits.map((h) => h.term)).toEqual(['ceasefire', 'istanbul']);
  });
  it('accepts an unprepared article too', () => {
    expect(evaluateRule(compileRule({ id: 'r', query: 'istanbul' }), { id: 'x', content: 'Istanbul' })?.rule).toBe('r');
  });
});

describe('unmetClauses: why an article does not match', () => {
  it('names each top-level conjunct of the query that fails, as written', () => {
    const spec = { id: 'r', query: 'ukraine (election OR vote) -istanbul' };
    expect(unmetClauses(spec, a)).toEqual([
      { part: 'query', clause: '(election OR vote)', kind: 'missing' },
      { part: 'query', clause: '-istanbul', kind: 'excluded' },
    ]);
  });
  it('names the list a failing all:, any: or none: query came from', () => {
    const spec = { id: 'r', query: 'ukraine', all: ['russia', 'election'], any: ['vote', 'poll'], none: ['istanbul'] };
    expect(unmetClauses(spec, a)).toEqual([
      { part: 'all[1]', clause: 'election', kind: 'missing' },
      { part: 'any', clause: '(vote) OR (poll)', kind: 'missing' },
      { part: 'none[0]', clause: 'istanbul', kind: 'excluded' },
    ]);
  });
  it('is empty exactly when the rule matches', () => {
    for (const query of ['ukraine russia', 'ceasefire -election', 'title:talks NEAR/2 ukraine', 'kyiv OR istanbul']) {
      const spec = { id: 'r', query };
      expect(unmetClauses(spec, a).length === 0, query).toBe(testRule(compileRule(spec), a));
    }
  });
});
