// An article's language as an ISO 639-1 code ("uk", "en"): the item's own tag, else the feed's,
// else detected from its text with franc-min (trigram statistics, the 82 most spoken languages)
// when there is enough text to be sure. Tags such as "en-GB", "EN_us" or "ukr" are reduced to
// their two-letter language through the platform's locale data.

import { franc } from 'franc-min';

/** Enough letters for trigram detection to be reliable on news text. */
const MIN_DETECT_LENGTH = 40;

/** The two-letter (or, where none exists, three-letter) language of a tag; undefined if not one. */
export function languageCode(tag: string | undefined): string | undefined {
  const primary = tag?.trim().split(/[-_\s]/)[0]?.toLowerCase();
  if (!primary || !/^[a-z]{2,3}$/.test(primary)) return undefined;
  try {
    return Intl.getCanonicalLocales(primary)[0];
  } catch {
    return undefined;
  }
}

/** The language of a text, or undefined when it is too short or franc is unsure. */
export function detectLanguage(text: string | undefined): string | undefined {
  if (!text || text.length < MIN_DETECT_LENGTH) return undefined;
  const found = franc(text, { minLength: MIN_DETECT_LENGTH });
  return found === 'und' ? undefined : languageCode(found);
}
