// franc-min's language scores (its francAll) for a text, computed from franc-min's own data in the
// same arithmetic, so the answers are the same, score for score, in the same order. franc looks
// every trigram of the text up in each language's table of its script (44 tables for Latin), one
// object lookup per trigram and language; here each trigram is looked up once, in an index of
// the languages that have it, and only those languages' distances move. The rules, as franc has
// them: the script is the one whose characters are most frequent (franc's regular expressions);
// a script with one language answers with it; otherwise a language's distance is the sum over the
// text's distinct trigrams of |count − rank − 1| (rank in the language's table), 300 for a
// trigram not in the table; scores are 1 − (distance − best) / (length × 300 − best), best first.

import { data } from 'franc-min/data.js';
import { expressions } from 'franc-min/expressions.js';

export type LanguageScore = [language: string, score: number];

/** franc's limits: longer text is cut, a trigram missing from a table costs this much. */
const MAX_LENGTH = 2048;
const MAX_DIFFERENCE = 300;

interface ScriptIndex {
  languages: string[];
  /** A number per trigram (as `key` gives it) that some language's table has. */
  ids: Map<number, number>;
  /** Per trigram number: the languages whose table has it and its rank there, as [language, rank, …]. */
  ranks: number[][];
  /** Occurrences of each trigram number in the text being scored; all 0 between calls. */
  counts: Int32Array;
}

/**
 * Three UTF-16 code units as one number, no string per trigram: below 2^30 (a small integer to
 * V8, the quickest Map key) when each unit is below 1024, else 2^30 plus all 48 bits.
 */
function key(text: string, at: number): number {
  const a = text.charCodeAt(at);
  const b = text.charCodeAt(at + 1);
  const c = text.charCodeAt(at + 2);
  return (a | b | c) < 0x400 ? (a << 20) | (b << 10) | c : 0x40000000 + (a * 0x10000 + b) * 0x10000 + c;
}

const indexes = new Map<string, ScriptIndex>();
for (const [script, models] of Object.entries(data)) {
  const languages = Object.keys(models);
  const ids = new Map<number, number>();
  const ranks: number[][] = [];
  languages.forEach((language, l) => {
    const table = models[language]!.split('|');
    const seen = new Set<string>();
    // A trigram listed twice ranks where it is first listed, as in franc's table.
    table.forEach((trigram, rank) => {
      if (seen.has(trigram)) return;
      seen.add(trigram);
      let id = ids.get(key(trigram, 0));
      if (id === undefined) {
        id = ranks.push([]) - 1;
        ids.set(key(trigram, 0), id);
      }
      ranks[id]!.push(l, rank);
    });
  });
  indexes.set(script, { languages, ids, ranks, counts: new Int32Array(ranks.length) });
}

const scripts = Object.entries(expressions);

/** Languages of `value`, most likely first, with franc's scores (1 for the best); [['und', 1]] when unknown. */
export function languageScores(value: string, minLength = 10): LanguageScore[] {
  if (!value || value.length < minLength) return [['und', 1]];
  const text = value.slice(0, MAX_LENGTH);
  const [script, share] = topScript(text);
  const index = script === undefined ? undefined : indexes.get(script);
  if (!index) return script === undefined || share === 0 ? [['und', 1]] : [[script, 1]];
  const distances = distancesTo(index, text);
  const best = distances[0]![1];
  const max = text.length * MAX_DIFFERENCE - best;
  return distances.map(([language, distance]) => [language, 1 - (distance - best) / max || 0]);
}

/** The script with the most characters in `text` (the first listed on a tie) and its share. */
function topScript(text: string): [string | undefined, number] {
  const counts = SURROGATE.test(text) ? scripts.map(([, expression]) => text.match(expression)?.length ?? 0) : unitCounts(text);
  let top: string | undefined;
  let topShare = -1;
  counts.forEach((count, s) => {
    const share = count / text.length || 0;
    if (share > topShare) {
      topShare = share;
      top = scripts[s]![0];
    }
  });
  return [top, topShare];
}

const SURROGATE = /[\uD800-\uDFFF]/;
/**
 * Without surrogates, each of franc's expressions matches single code units (its other
 * alternatives are surrogate pairs), so its count is the number of units it matches alone: the
 * scripts of each unit are looked up once per thread and kept, as bits, in this table.
 */
const unitScripts = new Int32Array(0x10000).fill(-1);
const unitExpressions = scripts.map(([, expression]) => new RegExp(`^(?:${expression.source})$`));

function unitCounts(text: string): number[] {
  const counts = new Array<number>(scripts.length).fill(0);
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    let bits = unitScripts[unit]!;
    if (bits === -1) bits = unitScripts[unit] = unitExpressions.reduce((b, expression, s) => (expression.test(text[i]!) ? b | (1 << s) : b), 0);
    for (; bits !== 0; bits &= bits - 1) {
      const s = 31 - Math.clz32(bits & -bits);
      counts[s] = counts[s]! + 1;
    }
  }
  return counts;
}

/**
 * Each language's distance, smallest first (languages in table order on a tie, as franc's stable
 * sort). The text's trigrams are trigram-utils' (ASCII punctuation and digits to spaces, white
 * space folded, lower case, padded); those no table has only count towards the distinct ones.
 */
function distancesTo(index: ScriptIndex, text: string): LanguageScore[] {
  const clean = ` ${text.replace(/[\u0021-\u0040]+/g, ' ').replace(/\s+/g, ' ').trim().toLowerCase()} `;
  const { ids, ranks, counts } = index;
  const found: number[] = [];
  const others = new Set<number>();
  for (let i = 0; i + 3 <= clean.length; i++) {
    const trigram = key(clean, i);
    const id = ids.get(trigram);
    if (id === undefined) others.add(trigram);
    else if (counts[id]!++ === 0) found.push(id);
  }
  // Every distinct trigram costs the maximum until a language's table has it.
  const distance = new Array<number>(index.languages.length).fill((found.length + others.size) * MAX_DIFFERENCE);
  for (const id of found) {
    const count = counts[id]!;
    counts[id] = 0;
    const entry = ranks[id]!;
    for (let k = 0; k < entry.length; k += 2) {
      const language = entry[k]!;
      distance[language] = distance[language]! + Math.abs(count - entry[k + 1]! - 1) - MAX_DIFFERENCE;
    }
  }
  return index.languages.map((language, l): LanguageScore => [language, distance[l]!]).sort((a, b) => a[1] - b[1]);
}
