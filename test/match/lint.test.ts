import { describe, expect, it } from 'vitest';
import { lintQuery } from '../../src/match/index.js';

describe('lintQuery', () => {
  it('has nothing to say about an ordinary query', () => {
    expect(lintQuery('ukraine (ceasefire OR truce) -election')).toEqual([]);
  });
  it('warns that a pure negation matches almost everything', () => {
    expect(lintQuery('-election')).toEqual([expect.stringMatching(/almost every article/)]);
    expect(lintQuery('NOT (a OR b)')).toHaveLength(1);
  });
  it('warns that a term and its negation can match nothing', () => {
    expect(lintQuery('ukraine -ukraine')[0]).toMatch(/can match nothing/);
  });
  it('warns at and, or, not written in lower case between words: they are searched as words', () => {
    expect(lintQuery('ukraine or russia')).toEqual([expect.stringContaining('"or" between words is searched for as a word')]);
    expect(lintQuery('ukraine or russia')[0]).toContain('did you mean OR?');
    expect(lintQuery('ukraine and ceasefire').join()).toContain('did you mean AND?');
    expect(lintQuery('ukraine not russia').join()).toContain('did you mean NOT');
    expect(lintQuery('title:(kyiv Or kiev)').join()).toContain('did you mean OR?');
    expect(lintQuery('site:(bbc.co.uk or cnn.com)').join()).toContain('did you mean OR?');
  });
  it('leaves and, or, not alone at the ends and in phrases', () => {
    expect(lintQuery('"rock and roll"')).toEqual([]);
    expect(lintQuery('ukraine "or" russia')).toEqual([]);
    expect(lintQuery('or ukraine')).toEqual([]);
  });
  it('warns that X OR NOT X matches everything', () => {
    expect(lintQuery('ukraine OR -ukraine').join()).toMatch(/every article/);
  });
});
