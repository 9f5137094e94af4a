import { describe, expect, it } from 'vitest';
import { RuleCompileError, RuleIndex, formatQueryError, parseQuery } from '../../src/match/index.js';
import { syntaxError } from './helpers.js';

describe('syntax errors', () => {
  it('refuses a query nested deeper than 100 levels where the 101st opens, instead of overflowing the stack', () => {
    const parens = syntaxError(`${'('.repeat(20_000)}ukraine${')'.repeat(20_000)}`);
    expect(parens.message).toMatch(/nests too deeply/);
    expect(parens.offset).toBe(100);
    expect(syntaxError(`ukraine ${'-'.repeat(5_000)}talks`).message).toMatch(/nests too deeply/);
    expect(syntaxError(`ukraine ${'NOT '.repeat(5_000)}talks`).message).toMatch(/nests too deeply/);
    expect(syntaxError(`ukraine${' NEAR/2 talks'.repeat(5_000)}`).message).toMatch(/nests too deeply/);
    expect(() => parseQuery(`${'('.repeat(100)}ukraine${')'.repeat(100)}`)).not.toThrow();
    expect(() => parseQuery(`ukraine${' NEAR/2 talks'.repeat(100)}`)).not.toThrow();
  });
  it('draws the caret for an error at a line break at the start of the query', () => {
    const q = '\n';
    expect(formatQueryError(q, syntaxError(q))).toContain('^');
  });
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

describe('language errors', () => {
  it('rejects NEAR/ without a number', () => {
    const e = syntaxError('ukraine NEAR/ ceasefire');
    expect([e.offset, e.length]).toEqual([8, 5]);
    expect(e.hint).toMatch(/NEAR\/10/);
    expect(syntaxError('ukraine NEAR ceasefire').offset).toBe(8);
  });
  it('rejects an unknown field and suggests the closest one', () => {
    const e = syntaxError('ukraine titel:ceasefire');
    expect([e.offset, e.message]).toEqual([8, 'unknown field "titel:"']);
    expect(e.hint).toMatch(/did you mean title:/);
  });
  it('accepts a word that merely ends with a colon', () => {
    expect(() => parseQuery('breaking: ukraine')).not.toThrow();
  });
  it('rejects a field with nothing after it', () => {
    expect(syntaxError('title: ukraine').offset).toBe(0);
  });
  it('rejects NOT, AND and regexes as NEAR operands', () => {
    expect(syntaxError('-a NEAR/3 b').offset).toBe(0);
    expect(syntaxError('a NEAR/3 /b/').offset).toBe(9);
    expect(syntaxError('(a b) NEAR/3 c').offset).toBe(0);
  });
  it('rejects an invalid regular expression', () => {
    expect(syntaxError('ukraine /(cease/').offset).toBe(8);
    expect(syntaxError('ukraine /cease').message).toMatch(/unterminated/);
  });
  it('rejects wildcards other than a trailing *', () => {
    expect(syntaxError('neg*tiation').offset).toBe(3);
    expect(syntaxError('*tiation').offset).toBe(0);
  });
  it('rejects terms without letters or digits', () => {
    expect(syntaxError('ukraine ++').offset).toBe(8);
  });
  it('rejects empty parentheses and nested fields', () => {
    expect(syntaxError('ukraine ()').offset).toBe(8);
    expect(syntaxError('title:(content:a)').offset).toBe(7);
  });
});
