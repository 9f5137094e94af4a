import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { literalHaystack, regexLiteral } from '../../src/match/required.js';

describe('regexLiteral', () => {
  it('finds the longest run of letters every match contains', () => {
    expect(regexLiteral('cease-?fire')).toBe('cease');
    expect(regexLiteral('\\bNegotiations?\\b')).toBe('negotiation');
    expect(regexLiteral('colou?r')).toBe('colo');
    expect(regexLiteral('(peace|war) talks')).toBe('talks');
  });
  it('gives nothing for top-level alternation or short runs', () => {
    expect(regexLiteral('ukraine|russia')).toBeUndefined();
    expect(regexLiteral('C\\+\\+')).toBeUndefined();
    expect(regexLiteral('a.b.c')).toBeUndefined();
  });
  it('does not take escape sequences for letters', () => {
    expect(regexLiteral('\\u0041bc')).toBeUndefined();
    expect(regexLiteral('\\x41\\x42\\x43')).toBeUndefined();
    expect(regexLiteral('(a)\\1234')).toBeUndefined();
  });
  it('gives up at escapes whose reach depends on the flags (they could hide a "|" or "(")', () => {
    // Without the u flag "\\u" is just "u", and "|" ends the first alternative.
    for (const source of ['\\u|abcxyz', '\\x|abcdef', '\\c|abcdef', '\\p{|}abcd', '\\k<|>abcd', '\\p{L}xyz']) expect(regexLiteral(source), source).toBeUndefined();
  });
  it('ends a class at its first "]", as JavaScript does ("[]" and "[^]")', () => {
    expect(regexLiteral('[^]|a]xyzw')).toBeUndefined();
    expect(regexLiteral('[]xyzw')).toBe('xyzw');
  });
  it('skips characters that a quantifier makes optional', () => {
    expect(regexLiteral('abcd{0,2}ef')).toBe('abc');
    expect(regexLiteral('abcd{00}')).toBe('abc');
    expect(regexLiteral('abcd{00,3}')).toBe('abc');
    expect(regexLiteral('abcd{01}')).toBe('abcd');
    expect(regexLiteral('abcde*')).toBe('abcd');
    expect(regexLiteral('abc+de')).toBe('abc');
  });

  // Every match of the regex, in any text, contains the literal (lower-cased).
  const pieces = ['a', 'b', 'c', 'ab', 'abc', 'A', '?', '*', '+', '{0,2}', '{1,2}', '{00}', '{00,1}', '.', '\\w', '\\d', '\\b', '[ab]', '[^c]', '[^]', '[]', ']', '(', ')', '(?:', '|', '\\u0062', '\\x63', '\\u', '\\x', '\\c', '\\k<', '>', '\\p{', '}', '-'];
  it('is contained in every match of random regexes (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 10 }), fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'A', 'B', 'C', 'ſ', ' ', '-', '1', 'u', 'x', 'p', '{', '}', '<', '>', '\\', ']'), maxLength: 30 }), (parts, text) => {
        const source = parts.join('');
        let re: RegExp;
        // As the query parser does: Unicode mode when the regex allows it, else without.
        try {
          re = new RegExp(source, 'iu');
        } catch {
          try {
            re = new RegExp(source, 'i');
          } catch {
            return;
          }
        }
        const lit = regexLiteral(source);
        if (lit !== undefined && re.test(text)) expect(literalHaystack([text])).toContain(lit);
      }),
      { numRuns: 5000 },
    );
  });
});
