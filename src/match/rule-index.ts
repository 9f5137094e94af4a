// The rule index: matches an article against many rules without evaluating every rule. Each rule
// is filed under its most selective required key set (required.ts); an article's words, stems,
// prefixes and metadata select candidate rules; a candidate must also hold its second key set
// (a cheap check, as in Lucene Monitor's multipass presearcher) before it is evaluated. Rules
// without required keys (pure NOT, regex, url:) are evaluated on every article. Results come in
// the order the rules were given. Words, stems and prefixes are looked up by their process-wide
// integer ids (word-ids.ts) in typed arrays; which regex literals a word contains is learnt once
// per word, so an article's literals cost one look-up per distinct word.
import { type PreparedArticle } from './prepare.js';
import { guessWordShare, PREFIX_KEY_LENGTH, requiredConjuncts, type Key, type Required, type WordFrequencies } from './required.js';
import { asPrepared, compileRule, explainRule, type CompiledRule } from './rule.js';
import { stemmerFor } from './stem.js';
import { LiteralSet } from './literals.js';
import { wordIds } from './word-ids.js';
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

/**
 * The index's words in wordIds terms, for one generation of ids: per norm id the exact-word key
 * (+1; 0 = none), and per language, per stem id the stemmed keys with that stem (CSR: slot s + 1
 * holds keys[start[s]] … keys[start[s + 1] - 1]).
 */
interface WordTables {
  generation: number;
  normKey: Int32Array;
  /** Per prefix id: the prefix key of full length (+1; 0 = none). */
  prefixKey: Int32Array;
  stems: Map<string, { slotOf: Int32Array; start: Int32Array; keys: Int32Array }>;
  /**
   * Per norm id, the regex literal keys the word contains, learnt the first time a word is
   * seen: 0 = not yet known, 1 = none, n ≥ 2 = the keys literalKeys[n - 2].
   */
  literalState: Int32Array;
  literalKeys: number[][];
}

export class RuleIndex {
  // Every distinct required key has an id. An article first marks the ids it holds; rules filed
  // under a held id are candidates, and a candidate passes if it holds one of its second ids.
  /** Stemmed query words → id; exact words → id. */
  private readonly stemWords = new Map<string, number>();
  private readonly normIds = new Map<string, number>();
  private tables: WordTables | undefined;
  /** Prefix keys of PREFIX_KEY_LENGTH characters (most) → id. */
  private readonly fullPrefixIds = new Map<string, number>();
  /** prefixHash of shorter prefix keys → id (hash collisions only add candidates). */
  private readonly prefixIds = new Map<number, number>();
  /** Distinct lengths of the shorter prefix keys, ascending. */
  private readonly prefixLengths: number[];
  private readonly metaIds = new Map<string, number>();
  /** Regex literals → id; found through the article's words (see candidates). */
  private readonly literalIds = new Map<string, number>();
  private readonly literals: LiteralSet;
  /** Per key id k: the rules filed under it are filed[filedStart[k] … filedStart[k + 1] - 1]. */
  private readonly filedStart: Uint32Array;
  private readonly filed: Uint32Array;
  /** Per rule r: its second key ids are secondIds[secondStart[r] .. secondStart[r + 1]). */
  private readonly secondStart: Uint32Array;
  private readonly secondIds: Uint32Array;
  /** Rules without required keys, ascending. */
  private readonly always: number[] = [];
  /** Per key id / per rule: the match() call that last marked it (no clearing needed). */
  private held: Uint32Array;
  private readonly seen: Uint32Array;
  /** Rules selected in the current call: selected[0 … count - 1]. */
  private readonly selected: Uint32Array;
  private count = 0;
  private epoch = 0;
  private all: Uint32Array | undefined;
  private readonly minIndexed: number;

  private constructor(
    readonly rules: readonly CompiledRule[],
    options: RuleIndexOptions = {},
  ) {
    this.seen = new Uint32Array(rules.length);
    this.selected = new Uint32Array(rules.length);
    this.minIndexed = options.minIndexedRules ?? 512;
    this.secondStart = new Uint32Array(rules.length + 1);
    const seconds: number[] = [];
    const filed: number[][] = [];
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
        const id = this.keyId(k, lengths, filed);
        const list = filed[id]!;
        if (list[list.length - 1] !== i) list.push(i);
      }
      const second = rest.find((r) => !sameKeys(r, first) && r.cost < 0.9);
      if (second) for (const k of second.keys) seconds.push(this.keyId(k, lengths, filed));
    });
    this.secondStart[rules.length] = seconds.length;
    this.secondIds = Uint32Array.from(seconds);
    this.filedStart = new Uint32Array(filed.length + 1);
    let total = 0;
    filed.forEach((list, k) => {
      this.filedStart[k] = total;
      total += list.length;
    });
    this.filedStart[filed.length] = total;
    this.filed = new Uint32Array(total);
    filed.forEach((list, k) => this.filed.set(list, this.filedStart[k]));
    this.held = new Uint32Array(filed.length);
    this.literals = new LiteralSet(this.literalIds);
    this.prefixLengths = [...lengths].sort((a, b) => a - b);
  }

  private keyId(k: Key, lengths: Set<number>, filed: number[][]): number {
    const next = () => filed.push([]) - 1;
    switch (k.kind) {
      case 'stem':
        return intern(this.stemWords, k.word, next);
      case 'norm':
        return intern(this.normIds, k.word, next);
      case 'prefix': {
        if (k.prefix.length === PREFIX_KEY_LENGTH) return intern(this.fullPrefixIds, k.prefix, next);
        lengths.add(k.prefix.length);
        // Same hash: share the id (a collision only adds candidates).
        return intern(this.prefixIds, prefixHash(k.prefix, k.prefix.length), next);
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

  /** The word tables for the current generation of word ids; rebuilt when it moves on. */
  private wordTables(): WordTables {
    if (this.tables?.generation === wordIds.generation) return this.tables;
    // Room for the ids the index's own words may add now.
    const normKey = new Int32Array(wordIds.size + this.normIds.size + this.fullPrefixIds.size);
    for (const [norm, id] of this.normIds) normKey[wordIds.norm(norm)] = id + 1;
    const prefixKey = new Int32Array(normKey.length);
    for (const [prefix, id] of this.fullPrefixIds) prefixKey[wordIds.prefix(prefix)] = id + 1;
    return (this.tables = { generation: wordIds.generation, normKey, prefixKey, stems: new Map(), literalState: new Int32Array(0), literalKeys: [] });
  }

  /** Per stem id of a language: the stemmed keys (built on first use per language). */
  private stemTable(tables: WordTables, language: string) {
    let table = tables.stems.get(language);
    if (table) return table;
    const stemmer = stemmerFor(language);
    const byStem = new Map<number, number[]>();
    for (const [word, id] of this.stemWords) {
      const s = wordIds.stem(language, stemmer.stem(word));
      const keys = byStem.get(s);
      if (!keys) byStem.set(s, [id]);
      else if (!keys.includes(id)) keys.push(id);
    }
    const slotOf = new Int32Array(wordIds.size);
    const start = new Int32Array(byStem.size + 1);
    const keys: number[] = [];
    let slot = 0;
    for (const [s, ids] of byStem) {
      slotOf[s] = slot + 1;
      start[slot] = keys.length;
      keys.push(...ids);
      slot++;
    }
    start[slot] = keys.length;
    table = { slotOf, start, keys: Int32Array.from(keys) };
    tables.stems.set(language, table);
    return table;
  }

  /** The regex literal keys a word contains, learnt once per word id (see WordTables). */
  private literalState(tables: WordTables, normId: number, norm: string): number {
    if (normId >= tables.literalState.length) {
      const grown = new Int32Array(Math.max(normId + 1, tables.literalState.length * 2, 1024));
      grown.set(tables.literalState);
      tables.literalState = grown;
    }
    const found: number[] = [];
    this.literals.scan(norm, (id) => {
      if (!found.includes(id)) found.push(id);
    });
    const state = found.length === 0 ? 1 : tables.literalKeys.push(found) + 1;
    tables.literalState[normId] = state;
    return state;
  }

  /** Holds the key (+1; 0 = none) that `keyOf` gives each of the ids. */
  private holdAll(keyOf: Int32Array, ids: readonly number[], epoch: number): void {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const key = id < keyOf.length ? keyOf[id]! : 0;
      if (key !== 0) this.hold(key - 1, epoch);
    }
  }

  /** Marks a key as held by the article and selects the rules filed under it. */
  private hold(id: number, epoch: number): void {
    if (this.held[id] === epoch) return;
    this.held[id] = epoch;
    const filed = this.filed;
    const seen = this.seen;
    for (let i = this.filedStart[id]!, to = this.filedStart[id + 1]!; i < to; i++) {
      const r = filed[i]!;
      if (seen[r] !== epoch) {
        seen[r] = epoch;
        this.selected[this.count++] = r;
      }
    }
  }

  /** Indices of the rules to evaluate for an article, ascending, and how many keys selected. */
  candidates(d: PreparedArticle): { rules: Uint32Array; selected: number } {
    // A few rules are evaluated faster than the article's words are looked up.
    if (this.rules.length < this.minIndexed) return { rules: this.all ??= Uint32Array.from(this.rules.keys()), selected: this.rules.length };
    // The article's ids first: bringing them to the current generation may add ids, which the
    // tables built next then cover.
    const ids = d.wordIdLists();
    const tables = this.wordTables();
    const stemTable = this.stemTable(tables, d.stemLanguage);
    const epoch = ++this.epoch;
    this.count = 0;
    {
      const { slotOf, start, keys } = stemTable;
      const stems = ids.stems;
      for (let i = 0; i < stems.length; i++) {
        const sid = stems[i]!;
        const slot = sid < slotOf.length ? slotOf[sid]! : 0;
        if (slot === 0) continue;
        for (let j = start[slot - 1]!, to = start[slot]!; j < to; j++) this.hold(keys[j]!, epoch);
      }
    }
    if (this.normIds.size > 0) this.holdAll(tables.normKey, ids.norms, epoch);
    if (this.fullPrefixIds.size > 0) this.holdAll(tables.prefixKey, ids.prefixes, epoch);
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
            const id = this.prefixIds.get(h);
            if (id !== undefined) this.hold(id, epoch);
            next++;
          }
        }
      }
    }
    if (this.metaIds.size > 0) {
      for (const k of metaKeys(d)) {
        const id = this.metaIds.get(k);
        if (id !== undefined) this.hold(id, epoch);
      }
    }
    if (this.literals.size > 0) {
      // A regex literal is ASCII letters and digits, which word segmentation never splits and
      // normalisation keeps (it only maps other characters to them, as the regex's case-
      // insensitivity does: "K" and "ſ"), so a literal the raw text holds is in one of its words
      // or, rarely, in a segment that is not a word (looseText).
      const norms = ids.norms;
      let i = 0;
      for (const norm of d.norms.keys()) {
        const nid = norms[i++]!;
        let state = nid < tables.literalState.length ? tables.literalState[nid]! : 0;
        if (state === 0) state = this.literalState(tables, nid, norm);
        if (state > 1) for (const id of tables.literalKeys[state - 2]!) this.hold(id, epoch);
      }
      // ICU puts a few runs in segments that are not words ("abc\u200d😀"): searched as text.
      if (d.looseText !== '') this.literals.scan(d.looseText, (id) => this.hold(id, epoch));
    }
    // Second pass: a candidate must hold one of its second keys, when it has any.
    const held = this.held;
    const selected = this.selected;
    const start = this.secondStart;
    const second = this.secondIds;
    const out = new Uint32Array(this.count + this.always.length);
    let n = 0;
    for (let i = 0; i < this.count; i++) {
      const r = selected[i]!;
      const from = start[r]!;
      const to = start[r + 1]!;
      let ok = from === to;
      for (let j = from; !ok && j < to; j++) ok = held[second[j]!] === epoch;
      if (ok) out[n++] = r;
    }
    for (const r of this.always) out[n++] = r;
    return { rules: out.subarray(0, n).sort(), selected: this.count };
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
