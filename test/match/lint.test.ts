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
  it('warns that X OR NOT X matches everything', () => {
    expect(lintQuery('ukraine OR -ukraine').join()).toMatch(/every article/);
  });
});
