// The rule index: matches an article against many rules without evaluating every rule. Each rule
// is filed under its most selective required key set (required.ts); an article's words, stems,
// prefixes and metadata select candidate rules; a candidate must also hold its second key set
// (a cheap check, as in Lucene Monitor's multipass presearcher) before it is evaluated. Rules
// without required keys (pure NOT, regex, url:) are evaluated on every article. Results come in
// the order the rules were given.
import { type PreparedArticle } from './prepare.js';
import { guessWordShare, requiredConjuncts, type Key, type Required, type WordFrequencies } from './required.js';
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


export interface RuleIndexOptions {
  /**
   * Word frequencies measured on recent articles (WordFrequencies.measure), used to file each
   * rule under its rarest words. Without them the index guesses from word length and a list of
   * common English words.
   */
  frequencies?: WordFrequencies;
  /** Below this many rules every rule is evaluated: cheaper than looking words up. Default 512. */
  minIndexedRules?: number;
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

function sameKeys(a: Required, b: Required): boolean {
  return a.keys.length === b.keys.length && a.keys.every((k, i) => JSON.stringify(k) === JSON.stringify(b.keys[i]));
}

/** Hash of the first `length` characters, computed without allocating a substring. */
function prefixHash(s: string, length: number): number {
  let h = 7;
  for (let i = 0; i < length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

function intern<K>(map: Map<K, number>, key: K, next: () => number): number {
  let id = map.get(key);
  if (id === undefined) {
    id = next();
    map.set(key, id);
  }
  return id;
}

interface StemEntry {
  ids: number[];
  norms: Array<[string, number]>;
}

export class RuleIndex {
  // Every distinct required key has an id. An article first marks the ids it holds; rules filed
  // under a held id are candidates, and a candidate passes if it holds one of its second ids.
  /** Stemmed query words → id; per language, stems → ids (built on first use). */
  private readonly stemWords = new Map<string, number>();
  private readonly stemIds = new Map<string, Map<string, StemEntry>>();
  private readonly normIds = new Map<string, number>();
  /** prefixHash of prefix keys → ids (hash collisions only add candidates). */
  private readonly prefixIds = new Map<number, number[]>();
  /** Distinct prefix key lengths, ascending. */
  private readonly prefixLengths: number[];
  private readonly metaIds = new Map<string, number>();
  /** Regex literals → id; looked for in the article's lower-cased text. */
  private readonly literalIds = new Map<string, number>();
  /** Per key id: the rules filed under it. */
  private readonly filed: Array<number[] | undefined> = [];
  /** Per rule r: its second key ids are secondIds[secondStart[r] .. secondStart[r + 1]). */
  private readonly secondStart: Uint32Array;
  private readonly secondIds: Uint32Array;
  /** Rules without required keys, ascending. */
  private readonly always: number[] = [];
  /** Per key id / per rule: the match() call that last marked it (no clearing needed). */
  private held: Uint32Array;
  private readonly seen: Uint32Array;
  private epoch = 0;
  private all: Uint32Array | undefined;
  private readonly minIndexed: number;

  private constructor(
    readonly rules: readonly CompiledRule[],
    options: RuleIndexOptions = {},
  ) {
    this.seen = new Uint32Array(rules.length);
    this.minIndexed = options.minIndexedRules ?? 512;
    this.secondStart = new Uint32Array(rules.length + 1);
    const seconds: number[] = [];
    const lengths = new Set<number>();
    const frequencies = options.frequencies;
    const share = frequencies ? (w: string) => frequencies.share(w) : guessWordShare;
    rules.forEach((rule, i) => {
      this.secondStart[i] = seconds.length;
      const [first, ...rest] = requiredConjuncts(rule.tree, share);
      if (!first) {
        this.always.push(i);
        return;
      }
      for (const k of first.keys) {
        const id = this.keyId(k, lengths);
        const list = (this.filed[id] ??= []);
        if (list[list.length - 1] !== i) list.push(i);
      }
      const second = rest.find((r) => !sameKeys(r, first) && r.cost < 0.9);
      if (second) for (const k of second.keys) seconds.push(this.keyId(k, lengths));
    });
    this.secondStart[rules.length] = seconds.length;
    this.secondIds = Uint32Array.from(seconds);
    this.held = new Uint32Array(this.filed.length);
    this.prefixLengths = [...lengths].sort((a, b) => a - b);
  }

  private keyId(k: Key, lengths: Set<number>): number {
    const next = () => this.filed.push(undefined) - 1;
    switch (k.kind) {
      case 'stem':
        return intern(this.stemWords, k.word, next);
      case 'norm':
        return intern(this.normIds, k.word, next);
      case 'prefix': {
        lengths.add(k.prefix.length);
        const h = prefixHash(k.prefix, k.prefix.length);
        const ids = this.prefixIds.get(h);
        if (ids) return ids[0]!; // same hash: share the id (a collision only adds candidates)
        const id = next();
        this.prefixIds.set(h, [id]);
        return id;
      }
      case 'meta':
        return intern(this.metaIds, k.key, next);
      case 'literal':
        return intern(this.literalIds, k.text, next);
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

  /**
   * Per stem in a language: the ids of stemmed keys, and the exact-word keys with that stem (an
   * article holds an exact word only if it holds its stem, so one walk over stems finds both).
   */
  private stemsFor(language: string): Map<string, StemEntry> {
    let map = this.stemIds.get(language);
    if (!map) {
      const m = new Map<string, StemEntry>();
      const stemmer = stemmerFor(language);
      const entry = (stem: string) => {
        let e = m.get(stem);
        if (!e) m.set(stem, (e = { ids: [], norms: [] }));
        return e;
      };
      for (const [word, id] of this.stemWords) {
        const e = entry(stemmer.stem(word));
        if (!e.ids.includes(id)) e.ids.push(id);
      }
      for (const [norm, id] of this.normIds) entry(stemmer.stem(norm)).norms.push([norm, id]);
      this.stemIds.set(language, (map = m));
    }
    return map;
  }

  /** Indices of the rules to evaluate for an article, ascending, and how many keys selected. */
  candidates(d: PreparedArticle): { rules: Uint32Array; selected: number } {
    // A few rules are evaluated faster than the article's words are looked up.
    if (this.rules.length < this.minIndexed) return { rules: this.all ??= Uint32Array.from(this.rules.keys()), selected: this.rules.length };
    const epoch = ++this.epoch;
    const held = this.held;
    const filed = this.filed;
    const seen = this.seen;
    const selected: number[] = [];
    const hold = (id: number) => {
      if (held[id] === epoch) return;
      held[id] = epoch;
      const list = filed[id];
      if (list) {
        for (const r of list) {
          if (seen[r] !== epoch) {
            seen[r] = epoch;
            selected.push(r);
          }
        }
      }
    };
    // Walk the smaller side: the index's stems or the article's.
    const visit = (e: StemEntry) => {
      for (const id of e.ids) hold(id);
      for (const [norm, id] of e.norms) if (d.norms.has(norm)) hold(id);
    };
    const stems = this.stemsFor(d.stemLanguage);
    if (stems.size < d.stems.size) {
      for (const [k, e] of stems) if (d.stems.has(k)) visit(e);
    } else {
      for (const k of d.stems.keys()) {
        const e = stems.get(k);
        if (e) visit(e);
      }
    }
    if (this.prefixIds.size > 0) {
      const lengths = this.prefixLengths;
      const max = lengths[lengths.length - 1]!;
      for (const w of d.norms.keys()) {
        // Hash the word's first characters incrementally; look up at each filed prefix length.
        let h = 7;
        let next = 0;
        for (let i = 0; i < max && i < w.length; i++) {
          h = (Math.imul(h, 31) + w.charCodeAt(i)) | 0;
          if (i + 1 === lengths[next]) {
            const ids = this.prefixIds.get(h);
            if (ids) hold(ids[0]!);
            next++;
          }
        }
      }
    }
    if (this.metaIds.size > 0) {
      for (const k of metaKeys(d)) {
        const id = this.metaIds.get(k);
        if (id !== undefined) hold(id);
      }
    }
    if (this.literalIds.size > 0) {
      const text = d.lowerText;
      for (const [lit, id] of this.literalIds) if (text.includes(lit)) hold(id);
    }
    // Second pass: a candidate must hold one of its second keys, when it has any.
    const out: number[] = [];
    const start = this.secondStart;
    const second = this.secondIds;
    for (const r of selected) {
      const from = start[r]!;
      const to = start[r + 1]!;
      let ok = from === to;
      for (let j = from; !ok && j < to; j++) ok = held[second[j]!] === epoch;
      if (ok) out.push(r);
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
