// The rule index: matches an article against many rules without evaluating every rule. Each rule
// is filed under its most selective required key set (required.ts); an article's words, stems,
// prefixes and metadata select candidate rules; a candidate must also hold its second key set
// (a cheap check, as in Lucene Monitor's multipass presearcher) before it is evaluated. Rules
// without required keys (pure NOT, regex, url:) are evaluated on every article. Results come in
// the order the rules were given.
import { type PreparedArticle } from './prepare.js';
import { guessWordShare, literalHaystack, requiredConjuncts, type Key, type Required, type WordFrequencies } from './required.js';
import { asPrepared, compileRule, explainRule, type CompiledRule } from './rule.js';
import { stemmerFor } from './stem.js';
import { type MatchInput, type RuleMatch, type RuleSpec } from './types.js';

/** What one match() call did; pass an object to fill. */
export interface MatchStats {
  /** Rules selected through their keys. */
  candidates: number;
  /** Rules evaluated: candidates plus the always-checked rules. */
  evaluated: number;
  matched: number;
}

type Postings = Map<string, number[]>;

export interface RuleIndexOptions {
  /**
   * Word frequencies measured on recent articles (WordFrequencies.measure), used to file each
   * rule under its rarest words. Without them the index guesses from word length and a list of
   * common English words.
   */
  frequencies?: WordFrequencies;
}

/** The metadata keys of an article (feed ids and tags, language, host and its parents). */
function metaKeys(d: PreparedArticle): string[] {
  const keys = d.feeds.map((f) => `feed:${f}`);
  if (d.langTag) {
    keys.push(`lang:${d.langTag}`);
    const primary = d.langTag.split('-')[0]!;
    if (primary !== d.langTag) keys.push(`lang:${primary}`);
  }
  for (let h = d.host; h; h = h.slice(h.indexOf('.') + 1 || h.length)) keys.push(`site:${h}`);
  return keys;
}

/** A second-pass key; stem keys remember their stem for the last language seen. */
type SecondKey = Exclude<Key, { kind: 'stem' }> | { kind: 'stem'; word: string; language: string; stem: string };

const haystacks = new WeakMap<PreparedArticle, string>();

/** The article's text for regex literals, computed once per article. */
function haystack(d: PreparedArticle): string {
  let h = haystacks.get(d);
  if (h === undefined) {
    h = literalHaystack(d.texts);
    haystacks.set(d, h);
  }
  return h;
}

function sameKeys(a: Required, b: Required): boolean {
  return a.keys.length === b.keys.length && a.keys.every((k, i) => JSON.stringify(k) === JSON.stringify(b.keys[i]));
}

/** Hash of the first `length` characters, computed without allocating a substring. */
function prefixHash(s: string, length: number): number {
  let h = 7;
  for (let i = 0; i < length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

function fileNumber(map: Map<number, number[]>, key: number, rule: number): void {
  const list = map.get(key);
  if (!list) map.set(key, [rule]);
  else if (list[list.length - 1] !== rule) list.push(rule);
}

function file(map: Postings, key: string, rule: number): void {
  const list = map.get(key);
  if (!list) map.set(key, [rule]);
  else if (list[list.length - 1] !== rule) list.push(rule);
}

export class RuleIndex {
  /** Stemmed query words → rules; turned into per-language stem postings on first use. */
  private readonly stemWords: Postings = new Map();
  private readonly stemPostings = new Map<string, Postings>();
  private readonly norms: Postings = new Map();
  /** Prefix keys by prefixHash → rules (hash collisions only add candidates). */
  private readonly prefixes = new Map<number, number[]>();
  /** Distinct prefix key lengths, ascending. */
  private readonly prefixLengths: number[];
  private readonly meta: Postings = new Map();
  /** Regex literals → rules; looked for in the article's lower-cased text. */
  private readonly literals: Postings = new Map();
  /** Rules without required keys, ascending. */
  private readonly always: number[] = [];
  /** Per rule: a second key set a candidate must also hold, if the rule has one. */
  private readonly second: Array<SecondKey[] | undefined>;
  /** Per rule: the last match() that selected it (avoids clearing between articles). */
  private readonly seen: Uint32Array;
  private epoch = 0;

  private constructor(
    readonly rules: readonly CompiledRule[],
    options: RuleIndexOptions = {},
  ) {
    this.seen = new Uint32Array(rules.length);
    this.second = new Array<SecondKey[] | undefined>(rules.length);
    const lengths = new Set<number>();
    const frequencies = options.frequencies;
    const share = frequencies ? (w: string) => frequencies.share(w) : guessWordShare;
    rules.forEach((rule, i) => {
      const [first, ...rest] = requiredConjuncts(rule.tree, share);
      if (!first) {
        this.always.push(i);
        return;
      }
      for (const k of first.keys) this.fileKey(k, i, lengths);
      const second = rest.find((r) => !sameKeys(r, first) && r.cost < 0.9);
      if (second) this.second[i] = second.keys.map((k) => (k.kind === 'stem' ? { ...k, language: '', stem: '' } : k));
    });
    this.prefixLengths = [...lengths].sort((a, b) => a - b);
  }

  private fileKey(k: Key, rule: number, lengths: Set<number>): void {
    switch (k.kind) {
      case 'stem':
        return file(this.stemWords, k.word, rule);
      case 'norm':
        return file(this.norms, k.word, rule);
      case 'prefix':
        lengths.add(k.prefix.length);
        return fileNumber(this.prefixes, prefixHash(k.prefix, k.prefix.length), rule);
      case 'meta':
        return file(this.meta, k.key, rule);
      case 'literal':
        return file(this.literals, k.text, rule);
    }
  }

  /** Compiles all rules; throws RuleCompileError for the first rule that does not parse. */
  static build(rules: RuleSpec[], options?: RuleIndexOptions): RuleIndex {
    return new RuleIndex(rules.map(compileRule), options);
  }

  /** Indexes rules compiled earlier (compileRule), e.g. to reuse them across index rebuilds. */
  static fromCompiled(rules: readonly CompiledRule[], options?: RuleIndexOptions): RuleIndex {
    return new RuleIndex(rules, options);
  }

  get size(): number {
    return this.rules.length;
  }

  /** Number of rules evaluated on every article because they have no required keys. */
  get alwaysChecked(): number {
    return this.always.length;
  }

  private stemsFor(language: string): Postings {
    let map = this.stemPostings.get(language);
    if (!map) {
      map = new Map();
      const stemmer = stemmerFor(language);
      for (const [word, rules] of this.stemWords) {
        const stem = stemmer.stem(word);
        const list = map.get(stem);
        map.set(stem, list ? [...new Set([...list, ...rules])].sort((a, b) => a - b) : rules);
      }
      this.stemPostings.set(language, map);
    }
    return map;
  }

  /** Whether the article holds at least one of the keys. */
  private holds(d: PreparedArticle, keys: SecondKey[], meta: string[]): boolean {
    for (const k of keys) {
      switch (k.kind) {
        case 'stem':
          if (k.language !== d.stemLanguage) {
            k.stem = d.stemmer.stem(k.word);
            k.language = d.stemLanguage;
          }
          if (d.stems.has(k.stem)) return true;
          break;
        case 'norm':
          if (d.norms.has(k.word)) return true;
          break;
        case 'prefix':
          if (d.prefixFields(k.prefix) !== 0) return true;
          break;
        case 'meta':
          if (meta.includes(k.key)) return true;
          break;
        case 'literal':
          if (haystack(d).includes(k.text)) return true;
          break;
      }
    }
    return false;
  }

  /** Indices of the rules to evaluate for an article, ascending, and how many keys selected. */
  candidates(d: PreparedArticle): { rules: Uint32Array; selected: number } {
    const epoch = ++this.epoch;
    const seen = this.seen;
    const selected: number[] = [];
    const take = (list: number[] | undefined) => {
      if (!list) return;
      for (const r of list) {
        if (seen[r] !== epoch) {
          seen[r] = epoch;
          selected.push(r);
        }
      }
    };
    const lookup = (index: Postings, article: Map<string, unknown>) => {
      if (index.size === 0) return;
      // Walk the smaller side.
      if (index.size < article.size) {
        for (const [k, list] of index) if (article.has(k)) take(list);
      } else {
        for (const k of article.keys()) take(index.get(k));
      }
    };
    lookup(this.stemsFor(d.stemLanguage), d.stems);
    lookup(this.norms, d.norms);
    if (this.prefixes.size > 0) {
      const lengths = this.prefixLengths;
      const max = lengths[lengths.length - 1]!;
      for (const w of d.norms.keys()) {
        // Hash the word's first characters incrementally; look up at each filed prefix length.
        let h = 7;
        let next = 0;
        for (let i = 0; i < max && i < w.length; i++) {
          h = (Math.imul(h, 31) + w.charCodeAt(i)) | 0;
          if (i + 1 === lengths[next]) {
            take(this.prefixes.get(h));
            next++;
          }
        }
      }
    }
    const meta = metaKeys(d);
    if (this.meta.size > 0) for (const k of meta) take(this.meta.get(k));
    if (this.literals.size > 0) {
      const text = haystack(d);
      for (const [lit, list] of this.literals) if (text.includes(lit)) take(list);
    }
    const out: number[] = [];
    for (const r of selected) {
      const second = this.second[r];
      if (!second || this.holds(d, second, meta)) out.push(r);
    }
    for (const r of this.always) out.push(r);
    return { rules: Uint32Array.from(out).sort(), selected: selected.length };
  }

  /** The rules that match, in rule order, each with its hits. */
  match(article: MatchInput | PreparedArticle, stats?: MatchStats): RuleMatch[] {
    const d = asPrepared(article);
    const { rules, selected } = this.candidates(d);
    const out: RuleMatch[] = [];
    for (const i of rules) {
      const r = this.rules[i]!;
      if (r.matcher.test(d)) out.push({ rule: r.id, hits: explainRule(r, d) });
    }
    if (stats) {
      stats.candidates = selected;
      stats.evaluated = rules.length;
      stats.matched = out.length;
    }
    return out;
  }
}
