import { describe, expect, it } from 'vitest';
import { QuerySyntaxError, RuleCompileError, RuleIndex, formatQueryError, parseQuery } from '../../src/match/index.js';

function syntaxError(query: string): QuerySyntaxError {
  try {
    parseQuery(query);
  } catch (e) {
    if (e instanceof QuerySyntaxError) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(query)} to be rejected`);
}

describe('syntax errors', () => {
  it('rejects an empty query', () => {
    expect(syntaxError('   ').message).toMatch(/empty query/);
  });
  it('points at an unclosed parenthesis', () => {
    const e = syntaxError('ukraine (ceasefire OR truce');
    expect(e.offset).toBe(8);
    expect(e.message).toMatch(/never closed/);
    expect(e.hint).toMatch(/\)/);
  });
  it('points at an unmatched closing parenthesis', () => {
    expect(syntaxError('ukraine ceasefire)').offset).toBe(17);
  });
  it('points at an unterminated phrase', () => {
    expect(syntaxError('ukraine "peace talks').offset).toBe(8);
  });
  it('rejects an operator without operands', () => {
    expect(syntaxError('ukraine OR').message).toMatch(/OR/);
    expect(syntaxError('AND ukraine').offset).toBe(0);
  });
  it('renders a caret under the offending column', () => {
    const q = 'ukraine (ceasefire';
    expect(formatQueryError(q, syntaxError(q))).toBe(
      ['unbalanced parenthesis: this "(" is never closed', '  ukraine (ceasefire', '          ^', '  hint: add ")" where the group ends'].join('\n'),
    );
  });
});

describe('rule errors', () => {
  it('names the rule, the list and the item of a bad query', () => {
    let err: unknown;
    try {
      RuleIndex.build([
        { id: 'ok', query: 'ukraine' },
        { id: 'bad', query: 'ukraine', any: ['truce', '(ceasefire'] },
      ]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RuleCompileError);
    const e = err as RuleCompileError;
    expect([e.ruleId, e.source, e.itemIndex, e.cause.offset]).toEqual(['bad', 'any', 1, 0]);
  });
  it('rejects a rule with no query at all', () => {
    expect(() => RuleIndex.build([{ id: 'empty' }])).toThrow(RuleCompileError);
  });
});
