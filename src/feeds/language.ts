// An article's language as an ISO 639-1 code ("uk", "en"): the item's own tag, else the feed's,
// else detected from its text by franc-min's trigram statistics (the 82 most spoken languages,
// scored as franc does by trigram-scores.ts) when there is enough text and the best guess
// clearly beats the runner-up; no guess beats a wrong one. Tags such as "en-GB", "EN_us" or
// "ukr" are reduced to their two-letter language through the platform's locale data.

import { languageScores } from './trigram-scores.js';

/** Enough letters for trigram detection to be worth trying on news text. */
const MIN_DETECT_LENGTH = 50;
/**
 * The runner-up's score (the best one scores 1) must stay below this; longer texts give steadier
 * trigram counts, so a closer runner-up is still a clear answer (Russian against Bulgarian).
 */
const maxRunnerUp = (length: number) => (length >= 100 ? 0.97 : 0.92);
/** More text than this adds time, not certainty. */
const MAX_DETECT_LENGTH = 1_000;

/** The two-letter (or, where none exists, three-letter) language of a tag; undefined if not one. */
export function languageCode(tag: string | undefined): string | undefined {
  const primary = tag?.trim().split(/[-_\s]/)[0]?.toLowerCase();
  if (!primary || !/^[a-z]{2,3}$/.test(primary)) return undefined;
  let code = canonical.get(primary);
  if (code === undefined) canonical.set(primary, (code = canonicalLanguage(primary) ?? null));
  return code ?? undefined;
}

/**
 * Each primary subtag's canonical form, asked of Intl once (a feed's items repeat its tag); two
 * or three letters, so at most 18,252 entries.
 */
const canonical = new Map<string, string | null>();

function canonicalLanguage(primary: string): string | undefined {
  try {
    return Intl.getCanonicalLocales(primary)[0];
  } catch {
    return undefined;
  }
}

/** The language of a text, or undefined when it is too short or franc is unsure. */
export function detectLanguage(text: string | undefined): string | undefined {
  if (!text || text.length < MIN_DETECT_LENGTH) return undefined;
  const sample = text.slice(0, MAX_DETECT_LENGTH);
  const [best, runnerUp] = languageScores(sample, MIN_DETECT_LENGTH);
  if (!best || best[0] === 'und' || (runnerUp && runnerUp[1] >= maxRunnerUp(sample.length))) return undefined;
  return languageCode(best[0]);
}
