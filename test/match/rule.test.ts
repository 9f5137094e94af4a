import { describe, expect, it } from 'vitest';
import { compileRule, evaluateRule, prepareArticle, testRule } from '../../src/match/index.js';

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
