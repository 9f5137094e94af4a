// Compiles a query tree into a matcher over a PreparedArticle: `test` answers yes/no as cheaply
// as possible (used for every candidate rule), `explain` lists the hits of a matching query
// (used only for matches). Word positions (spans) serve phrases, hyphenated words and NEAR.
import { type MetaField, type QueryNode, type TextField, type Unit } from './ast.js';
import { cached } from '../bounded-cache.js';
import { ALL_TEXT, CONTENT, SUMMARY, TEXT_FIELD_NAMES, TITLE, type NormInfo, type PreparedArticle } from './prepare.js';
import { UserRegex } from './regex.js';
import { type Hit } from './types.js';
import { wordIds } from './word-ids.js';

/** A run of matched words in one field. */
export interface Span {
  /** Field bit (TITLE, SUMMARY, CONTENT). */
  field: number;
  /** First and last word position. */
  from: number;
  to: number;
  /** Char offsets in the field text. */
  start: number;
  end: number;
  /** The query term that matched ('' for a NEAR). */
  term: string;
  /** A NEAR's span: the word spans of its leaves, sorted by position, no two sharing a word. */
  leaves?: Span[];
}

export interface Matcher {
  test(d: PreparedArticle): boolean;
  /** Appends the hits of a matcher whose test(d) is true. */
  explain(d: PreparedArticle, out: Hit[]): void;
}

export interface PositionalMatcher extends Matcher {
  spans(d: PreparedArticle): Span[];
  /** A cheap necessary condition for spans(d) to be non-empty (NEAR asks it before any pairing). */
  mayMatch(d: PreparedArticle): boolean;
}

const FIELD_BITS: Record<TextField, number> = { title: TITLE, summary: SUMMARY, content: CONTENT };

function fieldName(bit: number): Hit['field'] {
  return TEXT_FIELD_NAMES[31 - Math.clz32(bit)]!;
}

function spanHits(s: Span, out: Hit[]): void {
  for (const l of s.leaves ?? [s]) out.push({ term: l.term, field: fieldName(l.field), start: l.start, end: l.end });
}

/** A query word, stemmed or exact; caches its stem for the last language seen. */
class WordRef {
  private lang = '';
  private stem = '';
  constructor(
    readonly word: string,
    readonly stemmed: boolean,
  ) {}

  stemIn(d: PreparedArticle): string {
    if (d.stemLanguage !== this.lang) {
      this.stem = d.stemmer.stem(this.word);
      this.lang = d.stemLanguage;
      this.idGeneration = -1;
    }
    return this.stem;
  }

  // The wordIds id the article is asked for (the stem's in `lang` when stemmed, else the word's),
  // valid in wordIds generation `idGeneration`: the article answers by id, without building
  // maps of all its words by text.
  private idGeneration = -1;
  private id = 0;

  private idIn(d: PreparedArticle): number {
    if (this.stemmed) this.stemIn(d);
    if (this.idGeneration !== wordIds.generation) {
      this.id = this.stemmed ? wordIds.stem(this.lang, this.stem) : wordIds.norm(this.word);
      this.idGeneration = wordIds.generation;
    }
    return this.id;
  }

  /** The article's distinct words this word matches. */
  lists(d: PreparedArticle): readonly NormInfo[] {
    if (this.stemmed) return d.stemById(this.idIn(d))?.norms ?? NONE;
    const n = d.wordById(this.idIn(d));
    return n ? [n] : NONE;
  }

  fields(d: PreparedArticle): number {
    return this.stemmed ? d.stemFieldsById(this.idIn(d)) : d.wordFieldsById(this.idIn(d));
  }

  /** A token of this word at word position `pos`, or -1. */
  at(d: PreparedArticle, pos: number): number {
    for (const n of this.lists(d)) {
      const toks = n.toks;
      let lo = 0;
      let hi = toks.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (d.tokPos[toks[mid]!]! < pos) lo = mid + 1;
        else hi = mid;
      }
      if (lo < toks.length && d.tokPos[toks[lo]!] === pos) return toks[lo]!;
    }
    return -1;
  }
}

const NONE: readonly NormInfo[] = [];

/**
 * Query words (with their stem caches) and the terms as written are shared by every matcher that
 * uses them: 100,000 rules name far fewer distinct words. Bounded: past MAX_SHARED entries a
 * table starts afresh, which only costs sharing.
 */
const MAX_SHARED = 100_000;
const sharedRefs = new Map<string, WordRef>();
const sharedTerms = new Map<string, string>();

const shared = <T>(table: Map<string, T>, key: string, make: () => T): T => cached(table, key, MAX_SHARED, make);

const wordRef = (word: string, stemmed: boolean) => shared(sharedRefs, stemmed ? word : `\u0000${word}`, () => new WordRef(word, stemmed));
const term = (text: string) => shared(sharedTerms, text, () => text);

/** A single word (stemmed term or one-word phrase): the fast common case. */
class WordMatcher implements PositionalMatcher {
  constructor(
    readonly ref: WordRef,
    readonly mask: number,
    readonly term: string,
  ) {}
  test(d: PreparedArticle): boolean {
    return (this.ref.fields(d) & this.mask) !== 0;
  }
  mayMatch(d: PreparedArticle): boolean {
    return this.test(d);
  }
  spans(d: PreparedArticle): Span[] {
    const out: Span[] = [];
    for (const n of this.ref.lists(d)) {
      if ((n.fields & this.mask) === 0) continue;
      for (const t of n.toks) {
        const field = d.tokField[t]!;
        if (field & this.mask) out.push({ field, from: d.tokPos[t]!, to: d.tokEndPos[t]!, start: d.tokStart[t]!, end: d.tokEnd[t]!, term: this.term });
      }
    }
    return out;
  }
  explain(d: PreparedArticle, out: Hit[]): void {
    for (const s of this.spans(d)) spanHits(s, out);
  }
}

interface CUnit {
  parts: WordRef[];
  joined?: WordRef;
}

/** Consecutive units: phrases, and terms written with several words ("cease-fire"). */
class SequenceMatcher implements PositionalMatcher {
  /** Whether some unit is hyphenated, so that a position can be reached two ways. */
  private readonly hyphenated: boolean;
  constructor(
    readonly units: CUnit[],
    readonly mask: number,
    readonly term: string,
  ) {
    this.hyphenated = units.some((u) => u.joined);
  }

  /**
   * Last token of a match of units[i..] starting at word position `pos`, or -1. A hyphenated unit
   * matches two ways (its parts, or its joined form) that lead to the same position, so answers
   * are remembered per (i, pos) in `memo`: without it a phrase of n hyphenated words that fails
   * at its end tried 2^n ways (issue 13; 22 of them took 29 s).
   */
  private rest(d: PreparedArticle, i: number, pos: number, memo: Map<number, number> | undefined): number {
    if (i === this.units.length) return -2; // matched everything; caller keeps its last token
    if (!memo) return this.restOnce(d, i, pos, memo);
    const key = pos * this.units.length + i;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const found = this.restOnce(d, i, pos, memo);
    memo.set(key, found);
    return found;
  }

  private restOnce(d: PreparedArticle, i: number, pos: number, memo: Map<number, number> | undefined): number {
    const u = this.units[i]!;
    let t = -1;
    let next = pos;
    for (const p of u.parts) {
      t = p.at(d, next);
      if (t < 0) break;
      next = d.tokEndPos[t]! + 1;
    }
    if (t >= 0) {
      const r = this.rest(d, i + 1, next, memo);
      if (r !== -1) return r === -2 ? t : r;
    }
    if (u.joined) {
      const j = u.joined.at(d, pos);
      if (j >= 0) {
        const r = this.rest(d, i + 1, d.tokEndPos[j]! + 1, memo);
        if (r !== -1) return r === -2 ? j : r;
      }
    }
    return -1;
  }

  private find(d: PreparedArticle, first: boolean): Span[] {
    const out: Span[] = [];
    const u0 = this.units[0]!;
    const starts = u0.joined ? [u0.parts[0]!, u0.joined] : [u0.parts[0]!];
    const seen = new Set<number>();
    // Without a hyphenated word each position has one way on, and nothing to remember.
    const memo = this.hyphenated ? new Map<number, number>() : undefined;
    for (const ref of starts) {
      if ((ref.fields(d) & this.mask) === 0) continue;
      for (const n of ref.lists(d)) {
        for (const t of n.toks) {
          const field = d.tokField[t]!;
          if ((field & this.mask) === 0) continue;
          const pos = d.tokPos[t]!;
          if (seen.has(pos)) continue;
          const last = this.rest(d, 0, pos, memo);
          if (last < 0) continue;
          seen.add(pos);
          out.push({ field, from: pos, to: d.tokEndPos[last]!, start: d.tokStart[t]!, end: d.tokEnd[last]!, term: this.term });
          if (first) return out;
        }
      }
    }
    return out;
  }

  test(d: PreparedArticle): boolean {
    for (const u of this.units) {
      if (((u.parts[0]!.fields(d) | (u.joined?.fields(d) ?? 0)) & this.mask) === 0) return false;
    }
    return this.find(d, true).length > 0;
  }
  mayMatch(d: PreparedArticle): boolean {
    return this.test(d);
  }
  spans(d: PreparedArticle): Span[] {
    return this.find(d, false);
  }
  explain(d: PreparedArticle, out: Hit[]): void {
    for (const s of this.spans(d)) spanHits(s, out);
  }
}

class PrefixMatcher implements PositionalMatcher {
  constructor(
    readonly prefix: string,
    readonly mask: number,
    readonly term: string,
  ) {}
  test(d: PreparedArticle): boolean {
    return (d.prefixFields(this.prefix) & this.mask) !== 0;
  }
  mayMatch(d: PreparedArticle): boolean {
    return this.test(d);
  }
  spans(d: PreparedArticle): Span[] {
    const out: Span[] = [];
    for (const n of d.normsWithPrefix(this.prefix)) {
      if ((n.fields & this.mask) === 0) continue;
      for (const t of n.toks) {
        const field = d.tokField[t]!;
        if (field & this.mask) out.push({ field, from: d.tokPos[t]!, to: d.tokEndPos[t]!, start: d.tokStart[t]!, end: d.tokEnd[t]!, term: this.term });
      }
    }
    return out.sort((a, b) => a.from - b.from);
  }
  explain(d: PreparedArticle, out: Hit[]): void {
    for (const s of this.spans(d)) spanHits(s, out);
  }
}

const MAX_REGEX_HITS = 50;

class RegexMatcher implements Matcher {
  private readonly re: UserRegex;
  constructor(
    source: string,
    readonly mask: number,
    readonly term: string,
  ) {
    this.re = UserRegex.compile(source);
  }
  private texts(d: PreparedArticle): Array<[string, Hit['field']]> {
    const out: Array<[string, Hit['field']]> = [];
    for (let f = 0; f < 3; f++) if (this.mask & (1 << f) && d.texts[f]) out.push([d.texts[f]!, TEXT_FIELD_NAMES[f]!]);
    return out;
  }
  test(d: PreparedArticle): boolean {
    for (const [text] of this.texts(d)) if (this.re.test(text)) return true;
    return false;
  }
  explain(d: PreparedArticle, out: Hit[]): void {
    for (const [text, field] of this.texts(d)) {
      // Finding where it matches costs far more than whether it does: ask first.
      if (!this.re.test(text)) continue;
      for (const [start, end] of this.re.matches(text, MAX_REGEX_HITS)) out.push({ term: this.term, field, start, end });
    }
  }
}

class MetaMatcher implements Matcher {
  constructor(
    readonly field: MetaField,
    readonly value: string,
    readonly term: string,
  ) {}
  /** [start, end) of the match in the metadata text, or undefined. */
  private where(d: PreparedArticle): [Hit['field'], number, number] | undefined {
    const v = this.value;
    switch (this.field) {
      case 'url': {
        const i = d.url.toLowerCase().indexOf(v);
        return i >= 0 ? ['url', i, i + v.length] : undefined;
      }
      case 'site': {
        const h = d.host;
        if (h === v || (h.endsWith(v) && h.charCodeAt(h.length - v.length - 1) === 0x2e)) return ['site', d.hostAt, d.hostAt + h.length];
        return undefined;
      }
      case 'feed': {
        const i = d.feeds.indexOf(v);
        return i >= 0 ? ['feed', 0, d.feeds[i]!.length] : undefined;
      }
      case 'lang': {
        const tag = d.langTag;
        const ok = v.includes('-') ? tag === v : tag === v || tag.startsWith(v + '-');
        return ok ? ['lang', 0, tag.length] : undefined;
      }
    }
  }
  test(d: PreparedArticle): boolean {
    return this.where(d) !== undefined;
  }
  explain(d: PreparedArticle, out: Hit[]): void {
    const w = this.where(d);
    if (w) out.push({ term: this.term, field: w[0], start: w[1], end: w[2] });
  }
}

class AndMatcher implements Matcher {
  constructor(readonly children: Matcher[]) {}
  test(d: PreparedArticle): boolean {
    for (const c of this.children) if (!c.test(d)) return false;
    return true;
  }
  explain(d: PreparedArticle, out: Hit[]): void {
    for (const c of this.children) c.explain(d, out);
  }
}

class OrMatcher implements PositionalMatcher {
  constructor(readonly children: Matcher[]) {}
  test(d: PreparedArticle): boolean {
    for (const c of this.children) if (c.test(d)) return true;
    return false;
  }
  explain(d: PreparedArticle, out: Hit[]): void {
    for (const c of this.children) if (c.test(d)) c.explain(d, out);
  }
  mayMatch(d: PreparedArticle): boolean {
    return this.children.some((c) => (c as PositionalMatcher).mayMatch(d));
  }
  spans(d: PreparedArticle): Span[] {
    return this.children.flatMap((c) => (c as PositionalMatcher).spans(d));
  }
}

class NotMatcher implements Matcher {
  constructor(readonly child: Matcher) {}
  test(d: PreparedArticle): boolean {
    return !this.child.test(d);
  }
  explain(): void {
    // A NOT that holds has, by definition, nothing to show.
  }
}

/** Whether two spans matched a word position in common (a NEAR's spans: any of its leaves). */
function shareWord(x: Span, y: Span): boolean {
  if (x.from > y.to || y.from > x.to) return false;
  const xs = x.leaves ?? [x];
  const ys = y.leaves ?? [y];
  // Both lists are sorted and their members disjoint, so one pass finds any overlap.
  let i = 0;
  let j = 0;
  while (i < xs.length && j < ys.length) {
    const p = xs[i]!;
    const q = ys[j]!;
    if (p.to < q.from) i++;
    else if (q.to < p.from) j++;
    else return true;
  }
  return false;
}

/** The leaves of two spans that share no word, in position order. */
function mergeLeaves(x: Span, y: Span): Span[] {
  const xs = x.leaves ?? [x];
  const ys = y.leaves ?? [y];
  const out: Span[] = [];
  let i = 0;
  let j = 0;
  while (i < xs.length || j < ys.length) {
    if (j === ys.length || (i < xs.length && xs[i]!.from < ys[j]!.from)) out.push(xs[i++]!);
    else out.push(ys[j++]!);
  }
  return out;
}

/** Two NEAR spans with the same leaves are the same match, however they were paired. */
function sameLeaves(p: Span[], q: Span[]): boolean {
  if (p.length !== q.length) return false;
  for (let i = 0; i < p.length; i++) if (p[i]!.from !== q[i]!.from || p[i]!.to !== q[i]!.to || p[i]!.term !== q[i]!.term) return false;
  return true;
}

function leafHash(leaves: Span[]): number {
  let h = leaves.length;
  for (const l of leaves) h = (Math.imul(h, 31) + l.from * 7 + l.to) | 0;
  return h;
}

/**
 * Bounds on one NEAR's work per article. A chain `a NEAR/2 b NEAR/2 b …` over a text repeating
 * b has more word combinations than atoms in the universe; past these bounds a NEAR keeps the
 * spans found so far (the first ones in the text), so only such texts can lose a match. Work is
 * the pairs of spans looked at, each weighed by its leaves (what comparing them costs).
 */
export const NEAR_MAX_SPANS = 1_000;
export const NEAR_MAX_WORK = 200_000;

/** Index of the first span of `sorted` (by `from`) that starts at `from` or later. */
function firstFrom(sorted: Span[], from: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]!.from < from) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * `a NEAR/n b`: a span of a and a span of b in the same field with at most n words between them.
 * The two sides are matched by different words: `war NEAR/5 war` needs "war" twice. A NEAR's
 * span keeps its leaves flat, so chains cost what they find, and equal leaf sets count once;
 * the work per article is bounded by NEAR_MAX_WORK and NEAR_MAX_SPANS.
 */
class NearMatcher implements PositionalMatcher {
  constructor(
    readonly a: PositionalMatcher,
    readonly b: PositionalMatcher,
    readonly distance: number,
  ) {}
  private pairs(d: PreparedArticle, first: boolean): Span[] {
    if (!this.a.mayMatch(d) || !this.b.mayMatch(d)) return [];
    const as = this.a.spans(d);
    if (as.length === 0) return [];
    const bs = this.b.spans(d).sort((p, q) => p.from - q.from);
    let width = 0;
    for (const y of bs) width = Math.max(width, y.to - y.from);
    const n = this.distance;
    const out: Span[] = [];
    const seen = new Map<number, Span[][]>();
    let work = 0;
    for (const x of as) {
      // A y further away than this on either side has more than n words between.
      for (let i = firstFrom(bs, x.from - n - 1 - width); i < bs.length; i++) {
        const y = bs[i]!;
        if (y.from > x.to + n + 1) break;
        work += (x.leaves?.length ?? 1) + (y.leaves?.length ?? 1);
        if (work > NEAR_MAX_WORK) return out;
        if (x.field !== y.field) continue;
        // Words between the two: 0 for neighbours or interleaved chains.
        const gap = y.from > x.to ? y.from - x.to - 1 : x.from > y.to ? x.from - y.to - 1 : 0;
        if (gap > n || shareWord(x, y)) continue;
        const leaves = mergeLeaves(x, y);
        if (!first) {
          const h = leafHash(leaves);
          const same = seen.get(h);
          if (same?.some((s) => sameLeaves(s, leaves))) continue;
          if (same) same.push(leaves);
          else seen.set(h, [leaves]);
        }
        const [l, r] = x.from <= y.from ? [x, y] : [y, x];
        out.push({ field: x.field, from: l.from, to: Math.max(x.to, y.to), start: l.start, end: Math.max(l.end, r.end), term: '', leaves });
        if (first || out.length >= NEAR_MAX_SPANS) return out;
      }
    }
    return out;
  }
  mayMatch(d: PreparedArticle): boolean {
    return this.a.mayMatch(d) && this.b.mayMatch(d);
  }
  test(d: PreparedArticle): boolean {
    return this.pairs(d, true).length > 0;
  }
  spans(d: PreparedArticle): Span[] {
    return this.pairs(d, false);
  }
  explain(d: PreparedArticle, out: Hit[]): void {
    for (const s of this.spans(d)) spanHits(s, out);
  }
}

function compileUnit(u: Unit, stemmed: boolean): CUnit {
  return { parts: u.parts.map((p) => wordRef(p, stemmed)), ...(u.joined ? { joined: wordRef(u.joined, stemmed) } : {}) };
}

/** Compiles a parsed query; `mask` limits unscoped words to some text fields. */
export function compileQuery(node: QueryNode, mask = ALL_TEXT): Matcher {
  switch (node.type) {
    case 'term':
    case 'phrase': {
      const stemmed = node.type === 'term';
      const u = node.units;
      if (u.length === 1 && u[0]!.parts.length === 1) return new WordMatcher(wordRef(u[0]!.parts[0]!, stemmed), mask, term(node.text));
      return new SequenceMatcher(u.map((x) => compileUnit(x, stemmed)), mask, term(node.text));
    }
    case 'prefix':
      return new PrefixMatcher(node.prefix, mask, term(node.text));
    case 'regex':
      return new RegexMatcher(node.source, mask, node.text);
    case 'meta':
      return new MetaMatcher(node.field, node.value, term(node.text));
    case 'field':
      return compileQuery(node.child, mask & FIELD_BITS[node.field]);
    case 'and':
      return new AndMatcher(node.children.map((c) => compileQuery(c, mask)));
    case 'or':
      return new OrMatcher(node.children.map((c) => compileQuery(c, mask)));
    case 'not':
      return new NotMatcher(compileQuery(node.child, mask));
    case 'near':
      return new NearMatcher(compileQuery(node.children[0], mask) as PositionalMatcher, compileQuery(node.children[1], mask) as PositionalMatcher, node.distance);
  }
}

const FIELD_ORDER: Record<Hit['field'], number> = { title: 0, summary: 1, content: 2, url: 3, site: 4, feed: 5, lang: 6 };

/** Hits sorted by field then position, duplicates removed. */
export function sortHits(hits: Hit[]): Hit[] {
  hits.sort((a, b) => FIELD_ORDER[a.field] - FIELD_ORDER[b.field] || a.start - b.start || a.end - b.end || (a.term < b.term ? -1 : a.term > b.term ? 1 : 0));
  return hits.filter((h, i) => {
    const p = hits[i - 1];
    return !p || p.field !== h.field || p.start !== h.start || p.end !== h.end || p.term !== h.term;
  });
}
