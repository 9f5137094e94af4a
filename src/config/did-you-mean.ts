// "Did you mean …?" for a misspelt id (a rule, a feed): the known id closest to what was typed.
// Ids are slugs of words ("ukraine-energy-attacks"), and people type some of the words, so an id
// is as close as the better of two measures: the edit distance of the whole, and the sum over
// the typed words of each one's distance to the nearest word of the id (words left out are
// free: "ukraine-enrgy" is 1 from "ukraine-energy-attacks" but 7 from "ukraine-ceasefire").
// Nothing is suggested when even the closest id is too far off to be a typo of it.

import { distance } from 'fastest-levenshtein';

const words = (id: string): string[] => id.toLowerCase().split(/[-_.\s]+/).filter((w) => w !== '');

function wordDistance(typed: string[], known: string[]): number {
  let sum = 0;
  for (const w of typed) sum += Math.min(w.length, ...known.map((k) => distance(w, k)));
  return sum;
}

/** The known id that `typed` most likely misspells, or undefined when none is close. */
export function closestId(typed: string, ids: readonly string[]): string | undefined {
  const typedWords = words(typed);
  let best: string | undefined;
  let bestScore = Infinity;
  let bestWhole = Infinity;
  for (const id of ids) {
    const whole = distance(typed.toLowerCase(), id.toLowerCase());
    const score = Math.min(whole, wordDistance(typedWords, words(id)));
    if (score < bestScore || (score === bestScore && whole < bestWhole)) {
      best = id;
      bestScore = score;
      bestWhole = whole;
    }
  }
  // A typo changes a few characters (two for swapped neighbours), not most of them.
  return bestScore <= Math.max(2, Math.floor(typed.length / 3)) && bestScore < typed.length ? best : undefined;
}
