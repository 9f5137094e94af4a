// Word normalisation shared by queries and articles, so both sides always agree: Unicode NFKC,
// case folding, marks (diacritics) and format characters removed, apostrophes unified, and an
// English possessive ("Russia's", "Russia’s") dropped. Works on one word at a time.

const APOSTROPHES = /[\u2018\u2019\u02bc\uff07]/g;
const MARKS = /[\p{M}\p{Cf}]/gu;

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Case-folded, mark-free form of `text` (any string, not only one word). */
export function fold(text: string): string {
  if (isAscii(text)) return text.toLowerCase();
  const lower = text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/ß/g, 'ss')
    .replace(/ς/g, 'σ')
    .replace(APOSTROPHES, "'");
  // Decompose so that marks become separate characters, drop them, then recompose (Hangul).
  return lower.normalize('NFKD').replace(MARKS, '').normalize('NFC');
}

/** Length of the possessive suffix ("'s", "’s") that ends `word`, or 0. */
export function possessiveLength(word: string): number {
  const n = word.length;
  if (n < 3) return 0;
  const s = word.charCodeAt(n - 1);
  if (s !== 0x73 && s !== 0x53) return 0;
  const a = word.charCodeAt(n - 2);
  return a === 0x27 || a === 0x2019 || a === 0x2018 || a === 0x2bc || a === 0xff07 ? 2 : 0;
}

/** The normalised form of one segmented word: folded, without a possessive suffix. */
export function normalizeWord(word: string): string {
  const p = possessiveLength(word);
  return fold(p > 0 ? word.slice(0, word.length - p) : word);
}

/** Text in which a regex literal (required.ts) is searched: lower case, long s folded. */
export function literalHaystack(texts: readonly string[]): string {
  const lower = texts.join('\n').toLowerCase();
  return lower.includes('\u017f') ? lower.replace(/\u017f/g, 's') : lower;
}
