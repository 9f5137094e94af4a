import { describe, expect, it } from 'vitest';
import { hitTexts } from './helpers.js';
import { RuleIndex } from '../../src/match/index.js';

describe('explanations', () => {
  it('gives each matched word with its field and offsets', () => {
    expect(hitTexts('ukraine ceasefire', { title: 'Ukraine ceasefire', content: 'In Ukraine, a cease-fire.' })).toEqual([
      'title:Ukraine',
      'title:ceasefire',
      'content:Ukraine',
      'content:cease-fire',
    ]);
  });
  it('highlights a phrase as one hit', () => {
    expect(hitTexts('"peace talks"', 'The peace talks began')).toEqual(['content:peace talks']);
  });
  it('leaves the possessive out of the hit', () => {
    expect(hitTexts('russia', "Russia's army")).toEqual(['content:Russia']);
  });
  it('reports offsets into the original text when normalisation changes lengths', () => {
    expect(hitTexts('office', 'ﬁne oﬃce')).toEqual(['content:oﬃce']);
  });
  it('shows nothing for negated terms', () => {
    expect(hitTexts('ukraine -election', 'Ukraine news')).toEqual(['content:Ukraine']);
  });
  it('names the term as written in the query', () => {
    const [m] = RuleIndex.build([{ id: 'r', query: 'Negotiation' }]).match({ id: 'a', content: 'negotiations' });
    expect(m).toEqual({ rule: 'r', hits: [{ term: 'Negotiation', field: 'content', start: 0, end: 12 }] });
  });
});

describe('RuleIndex', () => {
  it('returns the matching rules in the order they were given', () => {
    const index = RuleIndex.build([
      { id: 'b', query: 'ceasefire' },
      { id: 'x', query: 'election' },
      { id: 'a', query: 'ukraine' },
    ]);
    expect(index.size).toBe(3);
    expect(index.match({ id: '1', title: 'Ukraine ceasefire' }).map((m) => m.rule)).toEqual(['b', 'a']);
  });
});
