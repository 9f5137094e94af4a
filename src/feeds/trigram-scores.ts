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
  /** The trigrams some language's table has, each with its number. */
  trigrams: TrigramTable;
  /** Per trigram number n: the languages whose table has it and its rank there, as language, rank, … from starts[n] to starts[n + 1]. */
  ranks: Int32Array;
  starts: Int32Array;
  /** Occurrences of each trigram number in the text being scored; all 0 between calls. */
  counts: Int32Array;
  /** Per language, its distance from the text being scored (reused). */
  distance: Int32Array;
}

/**
 * Trigrams by their three UTF-16 code units, in open addressing (linear probing, at most half
 * full): a look-up hashes three numbers and compares two, where a Map of numbers took a third
 * of the scoring time (and a heap number per key for units past U+03FF).
 */
interface TrigramTable {
  mask: number;
  /** Per slot: the first two units as (a << 16 | b); the third unit + 1, 0 for an empty slot; the trigram's number. */
  ab: Int32Array;
  c: Int32Array;
  ids: Int32Array;
}

function slotOf(mask: number, a: number, b: number, c: number): number {
  let h = Math.imul(Math.imul(a, 0x9e3779b1) + b, 0x85ebca77) + c;
  h = Math.imul(h ^ (h >>> 15), 0xc2b2ae3d);
  return (h ^ (h >>> 13)) & mask;
}

/** The trigram's number, or -1 when no language's table has it. */
function find(table: TrigramTable, a: number, b: number, c: number): number {
  const ab = (a << 16) | b;
  for (let slot = slotOf(table.mask, a, b, c); ; slot = (slot + 1) & table.mask) {
    const third = table.c[slot]!;
    if (third === 0) return -1;
    if (third === c + 1 && table.ab[slot] === ab) return table.ids[slot]!;
  }
}

function trigramTable(trigrams: readonly string[]): TrigramTable {
  let size = 16;
  while (size < trigrams.length * 2) size *= 2;
  const table = { mask: size - 1, ab: new Int32Array(size), c: new Int32Array(size), ids: new Int32Array(size) };
  trigrams.forEach((trigram, id) => {
    const [a, b, c] = [0, 1, 2].map((i) => trigram.charCodeAt(i));
    let slot = slotOf(table.mask, a!, b!, c!);
    while (table.c[slot] !== 0) slot = (slot + 1) & table.mask;
    table.ab[slot] = (a! << 16) | b!;
    table.c[slot] = c! + 1;
    table.ids[slot] = id;
  });
  return table;
}

const indexes = new Map<string, ScriptIndex>();
for (const [script, models] of Object.entries(data)) {
  const languages = Object.keys(models);
  const ids = new Map<string, number>();
  const lists: number[][] = [];
  languages.forEach((language, l) => {
    const table = models[language]!.split('|');
    const seen = new Set<string>();
    // A trigram listed twice ranks where it is first listed, as in franc's table.
    table.forEach((trigram, rank) => {
      if (seen.has(trigram)) return;
      seen.add(trigram);
      let id = ids.get(trigram);
      if (id === undefined) {
        id = lists.push([]) - 1;
        ids.set(trigram, id);
      }
      lists[id]!.push(l, rank);
    });
  });
  const starts = new Int32Array(lists.length + 1);
  lists.forEach((list, id) => (starts[id + 1] = starts[id]! + list.length));
  indexes.set(script, { languages, trigrams: trigramTable([...ids.keys()]), ranks: Int32Array.from(lists.flat()), starts, counts: new Int32Array(lists.length), distance: new Int32Array(languages.length) });
}

/**
 * Units of a cleaned text at most: lower case can lengthen a text ("İ" is two units in lower
 * case), to twice its length at worst, and the cleaned text is padded with a space each side.
 */
const MAX_CLEANED = 2 * MAX_LENGTH + 2;
/**
 * The distinct trigrams of the text being scored that no table has, to count them: open
 * addressing as TrigramTable's (slotOf, linear probing) on (a << 16 | b, c), a slot in use when it
 * holds the call's stamp, so that nothing is cleared between calls. Sorting them to count them
 * took a tenth of the scoring.
 */
const UNKNOWN_SLOTS = 8192;
const unknownAb = new Int32Array(UNKNOWN_SLOTS);
const unknownC = new Int32Array(UNKNOWN_SLOTS);
const unknownStamp = new Int32Array(UNKNOWN_SLOTS);
let stamp = 0;

/** Files an unknown trigram of this call; whether it is new. */
function newUnknown(a: number, b: number, c: number): boolean {
  const ab = (a << 16) | b;
  const mask = UNKNOWN_SLOTS - 1;
  for (let slot = slotOf(mask, a, b, c); ; slot = (slot + 1) & mask) {
    if (unknownStamp[slot] !== stamp) {
      unknownStamp[slot] = stamp;
      unknownAb[slot] = ab;
      unknownC[slot] = c;
      return true;
    }
    if (unknownC[slot] === c && unknownAb[slot] === ab) return false;
  }
}
/** The numbers of the distinct trigrams some table has, in the order first met (reused from call to call). */
const found = new Int32Array(MAX_CLEANED);
/** The text being scored as trigram-utils cleans it, as units (reused; see cleanInto). */
const cleaned = new Int32Array(MAX_CLEANED);
const SPACE = 0x20;
/** Per unit: SPACE for ASCII punctuation, digits and white space, else its lower case when that is one unit of its own, COMPLEX otherwise; UNSEEN until asked. */
const cleanUnits = new Int32Array(0x10000).fill(-1);
const UNSEEN = -1;
const COMPLEX = -2;

function cleanUnitOf(unit: number): number {
  const char = String.fromCharCode(unit);
  if ((unit >= 0x21 && unit <= 0x40) || /\s/.test(char)) return SPACE;
  // Surrogates lower in pairs, and a capital sigma by what follows it: neither on its own.
  if ((unit >= 0xd800 && unit <= 0xdfff) || unit === 0x3a3) return COMPLEX;
  const lower = char.toLowerCase();
  return lower.length === 1 ? lower.charCodeAt(0) : COMPLEX;
}

/**
 * Writes into `cleaned` the text as trigram-utils cleans it, ` ${text.replace(/[\u0021-\u0040\s]+/g,
 * ' ').trim().toLowerCase()} ` (each run of ASCII punctuation, digits and white space one space),
 * and returns its length. Unit by unit, without building the string, unless some unit does not
 * lower on its own; then as written.
 */
function cleanInto(text: string): number {
  let n = 0;
  cleaned[n++] = SPACE;
  let spaceDue = false;
  for (let k = 0; k < text.length; k++) {
    const code = text.charCodeAt(k);
    let unit = cleanUnits[code]!;
    if (unit === UNSEEN) unit = cleanUnits[code] = cleanUnitOf(code);
    if (unit === COMPLEX) return cleanWhole(text);
    if (unit === SPACE) spaceDue = n > 1;
    else {
      if (spaceDue) cleaned[n++] = SPACE;
      spaceDue = false;
      cleaned[n++] = unit;
    }
  }
  cleaned[n++] = SPACE;
  return n;
}

function cleanWhole(text: string): number {
  const clean = ` ${text.replace(/[\u0021-\u0040\s]+/g, ' ').trim().toLowerCase()} `;
  for (let k = 0; k < clean.length; k++) cleaned[k] = clean.charCodeAt(k);
  return clean.length;
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

/**
 * The scripts whose expressions match this unit, as bits. A function of its own: a closure in
 * unitCounts' loop would capture the loop's index, and V8 then allocates the index's binding
 * anew on every character (40 bytes each, half of what detecting a language allocated).
 */
function scriptBits(unit: number): number {
  const char = String.fromCharCode(unit);
  return unitExpressions.reduce((b, expression, s) => (expression.test(char) ? b | (1 << s) : b), 0);
}

/** unitCounts' result (reused: read before the next call). */
const scriptCounts = new Int32Array(scripts.length);

function unitCounts(text: string): Int32Array {
  const counts = scriptCounts.fill(0);
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    let bits = unitScripts[unit]!;
    if (bits === -1) bits = unitScripts[unit] = scriptBits(unit);
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
  const length = cleanInto(text);
  const { trigrams, ranks, starts, counts, distance } = index;
  let founds = 0;
  let unknowns = 0;
  // A new stamp marks every unknown slot free (after 2^31 - 1 calls, the slots are cleared).
  if (++stamp === 0x7fffffff) {
    unknownStamp.fill(0);
    stamp = 1;
  }
  let a = cleaned[0]!;
  let b = cleaned[1]!;
  for (let i = 2; i < length; i++) {
    const c = cleaned[i]!;
    const id = find(trigrams, a, b, c);
    if (id === -1) {
      if (newUnknown(a, b, c)) unknowns++;
    } else if (counts[id]!++ === 0) found[founds++] = id;
    a = b;
    b = c;
  }
  // Every distinct trigram costs the maximum until a language's table has it.
  distance.fill((founds + unknowns) * MAX_DIFFERENCE);
  for (let f = 0; f < founds; f++) {
    const id = found[f]!;
    const count = counts[id]!;
    counts[id] = 0;
    for (let k = starts[id]!, end = starts[id + 1]!; k < end; k += 2) {
      const language = ranks[k]!;
      distance[language] = distance[language]! + Math.abs(count - ranks[k + 1]! - 1) - MAX_DIFFERENCE;
    }
  }
  // A loop, not map with a closure made per call (why: the handlers in xml-canonical.ts).
  const scores: LanguageScore[] = [];
  for (let l = 0; l < index.languages.length; l++) scores.push([index.languages[l]!, distance[l]!]);
  return scores.sort(byDistance);
}

const byDistance = (a: LanguageScore, b: LanguageScore) => a[1] - b[1];

