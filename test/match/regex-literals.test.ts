import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { literalHaystack } from '../../src/match/normalize.js';
import { regexLiterals } from '../../src/match/regex-literals.js';
import { RegexSyntaxError, UserRegex } from '../../src/match/regex.js';

describe('regexLiterals', () => {
  it('finds the longest run of letters every match contains', () => {
    expect(regexLiterals('cease-?fire')).toEqual(['cease']);
    expect(regexLiterals('\\bNegotiations?\\b')).toEqual(['negotiation']);
    expect(regexLiterals('colou?r')).toEqual(['colo']);
    expect(regexLiterals('(peace|war) talks')).toEqual(['talks']);
  });
  it('gives one literal per alternative when every alternative has one', () => {
    expect(regexLiterals('ukraine|russia')).toEqual(['ukraine', 'russia']);
    expect(regexLiterals('(?:Rubio|lavrov)s?')).toEqual(['rubio', 'lavrov']);
    expect(regexLiterals('(?<who>rubio|lavrov) said')).toEqual(['rubio', 'lavrov']);
    expect(regexLiterals('(?<who>rubio|lavrov) stated')).toEqual(['stated']);
    expect(regexLiterals('x(?<who>rubio|lavrov)')).toEqual(['rubio', 'lavrov']);
    expect(regexLiterals('(?i:peace|truce) (?:talks|deal)')).toEqual(['peace', 'truce']);
    expect(regexLiterals('ukraine|ru')).toBeUndefined();
    expect(regexLiterals('(ukraine|kyiv)?')).toBeUndefined();
    expect(regexLiterals('a|b|c|d|e|f|g|h|i'.replace(/\w/g, '$&$&$&'))).toBeUndefined();
  });
  it('gives nothing for short runs or escapes it cannot read', () => {
    expect(regexLiterals('C\\+\\+')).toBeUndefined();
    expect(regexLiterals('a.b.c')).toBeUndefined();
    expect(regexLiterals('\\u0041bc')).toBeUndefined();
    expect(regexLiterals('\\x41\\x42\\x43')).toBeUndefined();
    for (const source of ['\\x{7c}abcxyz', '\\p{L}xyz', '\\pLxyz', '(\\Q)\\Ecat)?', '\\Q|\\Eabc']) expect(regexLiterals(source), source).toBeUndefined();
  });
  it('reads bracket classes as RE2 does: a first "]" is literal, [:alpha:] is one unit', () => {
    expect(regexLiterals('[]a]xyzw')).toEqual(['xyzw']);
    expect(regexLiterals('[^]|a]xyzw')).toEqual(['xyzw']);
    expect(regexLiterals('[[:alpha:]abc]')).toBeUndefined();
    expect(regexLiterals('[[:alpha:]]abc')).toEqual(['abc']);
  });
  it('skips characters and groups that a quantifier makes optional', () => {
    expect(regexLiterals('abcd{0,2}ef')).toEqual(['abc']);
    expect(regexLiterals('abcd{00}')).toEqual(['abc']);
    expect(regexLiterals('abcd{01}')).toEqual(['abcd']);
    expect(regexLiterals('abcde*')).toEqual(['abcd']);
    expect(regexLiterals('abc+de')).toEqual(['abc']);
    expect(regexLiterals('abc??def')).toEqual(['def']);
    expect(regexLiterals('xyz(abcd)?')).toEqual(['xyz']);
    expect(regexLiterals('(?i)abcd(?-i)')).toEqual(['abcd']);
  });

  // Every match of the regex, in any text, contains one of the literals (lower-cased). Letters
  // are drawn often, so that runs of three form around the structure.
  const letters = fc.constantFrom('a', 'b', 'c', 'ab', 'abc', 'A', 'K');
  const structure = fc.constantFrom('?', '*', '+', '{0,2}', '{1,2}', '{00}', '{,1}', '.', '\\w', '\\d', '\\b', '\\s', '[ab]', '[^c]', '[^]', '[]', ']', '[[:alpha:]', ':]', '[:', '(', ')', '(?:', '(?i)', '(?-i)', '(?i:', '(?<n>', '(?P<m>', '|', '\\Q', '\\E', '\\u0062', '\\x63', '\\x{63}', '\\012', '-', 'u', '{', '}');
  const piece = fc.oneof({ weight: 3, arbitrary: letters }, { weight: 2, arbitrary: structure });
  it('is contained in every match of random regexes (property)', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 10 }), fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'A', 'B', 'C', 'ſ', '\u212a', 'k', ' ', '-', '1', 'u', 'x', '{', '}', '[', ']', ':', '|', '(', ')', '\\', '\n'), maxLength: 30 }), (parts, text) => {
        const source = parts.join('');
        let re: UserRegex;
        try {
          re = UserRegex.compile(source);
        } catch (e) {
          if (e instanceof RegexSyntaxError) return;
          throw e;
        }
        const literals = regexLiterals(source);
        if (literals !== undefined && re.test(text)) expect(literals.some((l) => literalHaystack([text]).includes(l)), `${source} on ${JSON.stringify(text)}: ${literals.join(', ')}`).toBe(true);
      }),
      { numRuns: 20000 },
    );
  });
});
