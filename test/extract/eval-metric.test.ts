// Specification of the token F1 that eval:extract reports (defined in docs/extraction.md).

import { describe, expect, it } from 'vitest';
import { tokenF1, tokenize } from '../../scripts/eval-extract.js';

describe('tokenize', () => {
  it('case-folds and splits on anything that is not a letter, digit or mark', () => {
    expect(tokenize("Don't PANIC — it's 4:20, café!")).toEqual(['don', 't', 'panic', 'it', 's', '4', '20', 'café']);
  });

  it('makes each Han, Hiragana and Katakana character a token of its own', () => {
    expect(tokenize('日本語のテキスト abc')).toEqual(['日', '本', '語', 'の', 'テ', 'キ', 'ス', 'ト', 'abc']);
  });

  it('folds compatibility forms (full-width letters) to their plain form', () => {
    expect(tokenize('ＡＢＣ')).toEqual(['abc']);
  });
});

describe('tokenF1', () => {
  it('is 1 for the same words laid out differently', () => {
    expect(tokenF1('Hello,\n\nworld', 'hello world')).toBe(1);
  });

  it('counts repeated tokens: extra copies cost precision', () => {
    // 2 of 3 tokens are right, all 2 expected are found: P = 2/3, R = 1, F1 = 0.8.
    expect(tokenF1('the the cat', 'the cat')).toBeCloseTo(0.8, 10);
  });

  it('is the harmonic mean of precision and recall', () => {
    // Overlap 2; P = 2/4, R = 2/2 -> F1 = 2 * 0.5 * 1 / 1.5.
    expect(tokenF1('a b c d', 'a b')).toBeCloseTo(2 / 3, 10);
  });

  it('is 0 when one side is empty and 1 when both are', () => {
    expect(tokenF1('', 'text')).toBe(0);
    expect(tokenF1('text', '')).toBe(0);
    expect(tokenF1('', '  ')).toBe(1);
  });
});
