// Story features and signatures. A story is recognised by the set of content words of its title
// and lead (first words). Candidates are found by MinHash LSH (bands of the signature), then
// confirmed by the overlap coefficient of the two word sets, |A∩B| / min(|A|,|B|), which stays
// high when one copy has a shorter summary or another headline. Pure; story-store.ts does the
// Redis side.
//
// MinHash rather than SimHash: news leads are short, and a SimHash over 20–40 words moves by many
// bits for a two-word edit. The hash functions are fixed (seeded), so every worker process
// computes the same signature.

/** MinHash values per signature. */
export const SIGNATURE_SIZE = 32;
/** Rows per LSH band: stories sharing all values of any band become candidates. */
export const BAND_ROWS = 2;
/** Overlap coefficient of the word sets from which two articles are one story. */
export const SAME_STORY_MIN_OVERLAP = 0.7;
/** Articles with fewer content words than this are matched by URL only. */
export const MIN_STORY_WORDS = 6;

const LEAD_WORDS = 24;
const STOPWORDS = new Set(
  'the and for are but not you all any can had her was one our out has his how its may new now old see two who did get let put say she too use that with have this will your from they been were said than them then what when which while into over also after about their there would could should says'.split(
    ' ',
  ),
);

/** Content words: folded to lower case without diacritics, stop words and short words removed. */
export function contentWords(text: string): string[] {
  const all = text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return all.filter((w) => w.length > 2 && !STOPWORDS.has(w));
}

/** The word set a story is recognised by: title words plus the first words of the lead. */
export function storyFeatures(article: { title?: string; summary?: string; content?: string }): Set<string> {
  return new Set([...contentWords(article.title ?? ''), ...leadWords(article.summary || article.content || '')]);
}

/** Characters of a lead read first for its words: a feed's summary may hold the whole article. */
const LEAD_CHARS = 600;

/**
 * The first LEAD_WORDS content words of a text, read from its opening when that holds enough:
 * cut at a space, which no word spans and no normalisation or case folding reaches across, the
 * opening's words are the first words of the whole.
 */
function leadWords(text: string): string[] {
  const cut = text.length > LEAD_CHARS ? text.indexOf(' ', LEAD_CHARS) : -1;
  if (cut > 0) {
    const words = contentWords(text.slice(0, cut));
    if (words.length >= LEAD_WORDS) return words.slice(0, LEAD_WORDS);
  }
  return contentWords(text).slice(0, LEAD_WORDS);
}

const SEEDS = Array.from({ length: SIGNATURE_SIZE }, (_, i) => mix(0x9e3779b9 ^ Math.imul(i + 1, 0x85ebca6b)));

export function minhash(features: Set<string>): number[] {
  const sig = new Array<number>(SIGNATURE_SIZE).fill(0xffffffff);
  for (const word of features) {
    const base = fnv1a(word);
    for (let i = 0; i < SIGNATURE_SIZE; i++) {
      const h = mix(base ^ (SEEDS[i] as number));
      if (h < (sig[i] as number)) sig[i] = h;
    }
  }
  return sig;
}

/** Overlap coefficient of two word sets (the check story-store's script makes in Redis). */
export function overlap(a: Set<string>, b: Set<string>): number {
  const smaller = Math.min(a.size, b.size);
  if (smaller === 0) return 0;
  let common = 0;
  for (const w of a) if (b.has(w)) common++;
  return common / smaller;
}

/** LSH band keys: one string per band of BAND_ROWS values. */
export function bandKeys(sig: number[]): string[] {
  const keys: string[] = [];
  for (let i = 0; i < SIGNATURE_SIZE; i += BAND_ROWS) keys.push(`${i / BAND_ROWS}-${sig.slice(i, i + BAND_ROWS).map((v) => v.toString(36)).join('.')}`);
  return keys;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** murmur3's finaliser: spreads every input bit over the whole word. */
function mix(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
