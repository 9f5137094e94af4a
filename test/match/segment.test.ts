import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { segmentInto, segmentWordsIntl, wordSpans, type Segments } from '../../src/match/segment.js';

const words = (text: string) => wordSpans(text).map(([s, e]) => text.slice(s, e));

describe('word segmentation', () => {
  it('splits on spaces and punctuation but keeps apostrophes, dots and decimals inside words', () => {
    expect(words("Russia's U.S.-backed plan: 1,000 troops, 3.5% (cease-fire) don’t")).toEqual([
      "Russia's",
      'U.S',
      'backed',
      'plan',
      '1,000',
      'troops',
      '3.5',
      'cease',
      'fire',
      'don’t',
    ]);
  });
  it('segments scripts without spaces the way Intl.Segmenter does', () => {
    expect(words('北京时间 พูดภาษาไทย hello')).toEqual(segmentWordsIntl('北京时间 พูดภาษาไทย hello').map(([s, e]) => '北京时间 พูดภาษาไทย hello'.slice(s, e)));
  });
  it('yields the same words as Intl.Segmenter for every character below U+2030 in context', () => {
    const bad: string[] = [];
    for (let c = 0x20; c < 0x2030; c++) {
      const ch = String.fromCharCode(c);
      for (const t of [ch, 'a' + ch + 'b', '1' + ch + '2', 'a' + ch, ch + 'a', 'a' + ch + ch + 'b', 'é' + ch + '\u0301b']) {
        if (JSON.stringify(wordSpans(t)) !== JSON.stringify(segmentWordsIntl(t))) bad.push(t);
      }
    }
    expect(bad).toEqual([]);
  });

  // Characters the fast path handles, the ones it must hand over, and separators between them.
  const pieces = [
    ...'aZé9. ,:;\'’‘-–_·\u00ad\u0301\u00a0\n\t"()¸ß',
    'Ukraine', 'cease-fire', "Russia's", 'U.S.', '3.14', '1,000',
    '日本語', 'ไทย', 'русский', 'עברית', 'مرحبا', '한국어', '🇺🇦', '👍🏽', 'a_b', '__',
  ];
  it('yields the same words as Intl.Segmenter on random mixed text (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 30 }), (parts) => {
        const text = parts.join('');
        expect(wordSpans(text)).toEqual(segmentWordsIntl(text));
      }),
      { numRuns: 3000 },
    );
  });
  it('yields the same words as Intl.Segmenter on arbitrary strings (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ maxLength: 40 }), (a, b) => {
        const text = a + ' ' + b;
        expect(wordSpans(text)).toEqual(segmentWordsIntl(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('writes the same words into a reused buffer that starts too small, loose segments marked', () => {
    const out: Segments = { spans: new Int32Array(2) };
    const pairs = (text: string, loose = false) => {
      const n = segmentInto(text, out, loose);
      return Array.from({ length: n / 2 }, (_, k): [number, number] => [out.spans[2 * k]!, out.spans[2 * k + 1]!]);
    };
    const long = "Kyiv's cease-fire talks, 北京时间 and 3.5 % more ".repeat(40);
    expect(pairs(long)).toEqual(segmentWordsIntl(long));
    expect(pairs('short text')).toEqual([[0, 5], [6, 10]]);
    // "abc\u200d😀" is one segment ICU does not call a word: written as [-start - 1, end) when asked for.
    expect(pairs('x abc\u200d😀')).toEqual([[0, 1]]);
    expect(pairs('x abc\u200d😀', true)).toEqual([[0, 1], [-3, 8]]);
  });
});
