// Stemming with the Snowball (Porter2) algorithms of `snowball-stemmers`, chosen from the
// article's language tag (English when unknown or unsupported). Stems are cached per language
// because stemming dominates article preparation otherwise.
import { newStemmer, type Stemmer } from 'snowball-stemmers';
import { cached } from '../bounded-cache.js';

const BY_CODE: Record<string, string> = {
  ar: 'arabic', hy: 'armenian', eu: 'basque', ca: 'catalan', cs: 'czech', da: 'danish',
  nl: 'dutch', en: 'english', fi: 'finnish', fr: 'french', de: 'german', hu: 'hungarian',
  it: 'italian', ga: 'irish', no: 'norwegian', nb: 'norwegian', nn: 'norwegian',
  pt: 'portuguese', ro: 'romanian', ru: 'russian', es: 'spanish', sl: 'slovene',
  sv: 'swedish', ta: 'tamil', tr: 'turkish',
};

/** The primary subtag of a language tag, lower case ("en-GB" → "en"), or undefined. */
export function primaryLanguage(tag: string | undefined): string | undefined {
  if (!tag) return undefined;
  const primary = tag.trim().toLowerCase().split(/[-_]/)[0];
  return primary || undefined;
}

/** Snowball algorithm name for a language tag: "english" when unknown. */
export function stemLanguage(tag: string | undefined): string {
  const p = primaryLanguage(tag);
  return (p && BY_CODE[p]) || 'english';
}

const MAX_CACHE = 200_000;

/** A stemmer with a bounded cache; one per Snowball language. */
export class CachedStemmer {
  private readonly stemmer: Stemmer;
  private readonly cache = new Map<string, string>();
  constructor(readonly language: string) {
    this.stemmer = newStemmer(language);
  }
  stem(word: string): string {
    return cached(this.cache, word, MAX_CACHE, () => this.stemmer.stem(word));
  }
}

const stemmers = new Map<string, CachedStemmer>();

/** The shared cached stemmer of a Snowball language name (see stemLanguage). */
export function stemmerFor(language: string): CachedStemmer {
  let s = stemmers.get(language);
  if (!s) {
    s = new CachedStemmer(language);
    stemmers.set(language, s);
  }
  return s;
}
