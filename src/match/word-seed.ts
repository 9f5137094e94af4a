// A word seed: an article's distinct normalised words, made by tokenising it in a sandbox thread
// (prepare.ts's wordSeedOf), so that the main thread selects its candidate rules from them
// without segmenting the text itself. Most articles select no rule, and for those the seed is
// all the main thread needs; one that selects rules is tokenised there as before, when a rule
// first reads its words. Rules:
// - A seed holds the very strings it was made from and counts only for an article with those
//   texts and that stemming language (PreparedArticle checks), so an article whose text changed
//   after (a fetched page, an edit) is tokenised afresh, never matched on another text's words.
// - It travels on the article under a symbol, which JSON leaves out: it never reaches a job in
//   Redis, and an article from anywhere else simply has none.

/** What a sandbox thread returns per article: the words in order of first occurrence. */
export interface WordSeed {
  /** Snowball language the words were stemmed for (stemLanguage of the article's language). */
  stemLanguage: string;
  /** The distinct normalised words, in order of first occurrence, joined by "\n" ("" for none). */
  norms: string;
  /** prepare.ts's looseText: non-word segments holding ASCII letters or digits ("" nearly always). */
  loose: string;
  /** The tokens, for the articles that select rules (whose rules read where each word stands). */
  tokens?: SeedTokens;
}

/**
 * An article's tokens in a buffer shared by the articles of one task (one copy between threads),
 * from `offset` (a multiple of 4): as Int32 `count` starts, ends, positions, end positions and
 * next tokens of the same word, then `distinct` × (first token, last token, tokens, fields) of
 * the words in seed order; then `count` bytes of field bits (prepare.ts writes and reads it).
 */
export interface SeedTokens {
  buffer: ArrayBuffer;
  offset: number;
  count: number;
  distinct: number;
}

/** A seed with the texts it was made from (title, summary, content, "" for missing). */
export interface AttachedWordSeed extends WordSeed {
  texts: readonly [string, string, string];
}

export const WORD_SEED: unique symbol = Symbol('newswatch.wordSeed');

/** What a thread needs of an article to make its seed. */
export interface SeedSource {
  title?: string;
  summary?: string;
  content?: string;
  language?: string;
  [WORD_SEED]?: AttachedWordSeed;
}

/** Puts the seed made from `article`'s texts on it (in place: the seed names these very strings). */
export function attachWordSeed(article: SeedSource, seed: WordSeed): void {
  article[WORD_SEED] = { ...seed, texts: [article.title ?? '', article.summary ?? '', article.content ?? ''] };
}

/** The article's seed if it was made from exactly these texts for this stemming language. */
export function seedFor(article: SeedSource, texts: readonly [string, string, string], stemLanguage: string): AttachedWordSeed | undefined {
  const seed = article[WORD_SEED];
  if (seed === undefined || seed.stemLanguage !== stemLanguage) return undefined;
  // The same string objects compare at once; another text of the same length is compared in full.
  return seed.texts[0] === texts[0] && seed.texts[1] === texts[1] && seed.texts[2] === texts[2] ? seed : undefined;
}
