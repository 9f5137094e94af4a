// The rule index: matches an article against many rules without evaluating every rule. Each rule
// is filed under its most selective required key set (required.ts); an article's words, stems,
// prefixes and metadata select candidate rules; a candidate must also hold its second key set
// (a cheap check, as in Lucene Monitor's multipass presearcher) before it is evaluated. Rules
// without required keys (pure NOT, regex without a literal, url:) are evaluated on every article.
// Rules are added and removed one at a time (add, remove) without rebuilding: build() is a
// series of adds. Results come in index order: the order rules were first added, an update
// (add of a known id) keeping its rule's place. The index keeps each rule's matcher and key ids,
// not its syntax tree. Keys stay known after their last rule is removed (an empty list; memory
// bounded by the distinct words rules ever used). Words, stems and prefixes are looked up by
// their process-wide integer ids (word-ids.ts) in typed arrays; which regex literals a word
// contains is learnt once per word, so an article's literals cost one look-up per distinct word.
import { type Matcher } from './compile.js';
import { type PreparedArticle } from './prepare.js';
import { guessWordShare, PREFIX_KEY_LENGTH, requiredConjuncts, type Key, type Required, type WordFrequencies, type WordShare } from './required.js';
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

/** A rule as the index keeps it. */
export interface IndexedRule {
  readonly id: string;
  readonly matcher: Matcher;
}

interface Entry extends IndexedRule {
  /** Place in the result order (see the header). */
  readonly order: number;
  /** Key ids: the first `filedUnder` are those the rule is filed under, the rest its second set. */
  readonly keys: number[];
  readonly filedUnder: number;
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

/** `array` itself, or a copy at least `size` long (doubling), zero-filled beyond the old end. */
function atLeast<T extends Int32Array | Uint32Array>(array: T, size: number): T {
  if (size <= array.length) return array;
  const grown = new (array.constructor as new (n: number) => T)(Math.max(size, array.length * 2, 64));
  grown.set(array);
  return grown;
}

/** Per stem id (of one language): the stemmed keys with that stem. */
interface StemTable {
  slotOf: Int32Array;
  keys: number[][];
}

/**
 * The index's words in wordIds terms, for one generation of ids: per norm id the exact-word key
 * (+1; 0 = none), per prefix id the full-length prefix key, and per language the stem table.
 * Built on first use and kept up to date by add().
 */
interface WordTables {
  generation: number;
  normKey: Int32Array;
  prefixKey: Int32Array;
  stems: Map<string, StemTable>;
  /**
   * Per norm id, the regex literal keys the word contains, learnt the first time a word is
   * seen: 0 = not yet known, 1 = none, n ≥ 2 = the keys literalKeys[n - 2]. Forgotten when a
   * literal is added.
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
  private prefixLengths: number[] = [];
  private readonly metaIds = new Map<string, number>();
  /** Regex literals → id; found through the article's words (see candidates). */
  private readonly literalIds = new Map<string, number>();
  private readonly literals = new LiteralSet();
  /** Per key id: the slots of the rules filed under it, in no order. */
  private readonly filed: number[][] = [];
  /** Per slot: the rule there, or undefined for a free slot (reused by the next add). */
  private readonly entries: Array<Entry | undefined> = [];
  private readonly free: number[] = [];
  private readonly slotOf = new Map<string, number>();
  /** Slots of the rules without required keys. */
  private readonly always = new Set<number>();
  private nextOrder = 0;
  /** Per key id / per slot: the match() call that last marked it (no clearing needed). */
  private held = new Uint32Array(64);
  private seen = new Uint32Array(64);
  /** Slots selected in the current call: selected[0 … count - 1]. */
  private selected = new Uint32Array(64);
  private count = 0;
  private epoch = 0;
  /** Every live slot in result order, while the index is below minIndexed rules. */
  private all: Uint32Array | undefined;
  private readonly minIndexed: number;
  private readonly share: WordShare;

  private constructor(options: RuleIndexOptions = {}) {
    this.minIndexed = options.minIndexedRules ?? 512;
    const frequencies = options.frequencies;
    this.share = frequencies ? (w: string) => frequencies.share(w) : guessWordShare;
  }

  /**
   * Compiles and indexes the rules in order; a repeated id replaces the earlier rule in its
   * place, as add() does. Throws RuleCompileError for the first rule that does not parse.
   */
  static build(rules: RuleSpec[], options?: RuleIndexOptions): RuleIndex {
    return RuleIndex.fromCompiled(rules.map(compileRule), options);
  }

  /** Indexes rules compiled earlier (compileRule), e.g. to reuse them across index rebuilds. */
  static fromCompiled(rules: readonly CompiledRule[], options?: RuleIndexOptions): RuleIndex {
    const index = new RuleIndex(options);
    for (const rule of rules) index.addCompiled(rule);
    return index;
  }

  /**
   * Adds a rule, or replaces the rule with its id, which keeps its place in the result order.
   * Throws RuleCompileError (and changes nothing) when a query does not parse.
   */
  add(spec: RuleSpec): void {
    this.addCompiled(compileRule(spec));
  }

  /** add() for a rule compiled earlier. */
  addCompiled(rule: CompiledRule): void {
    const known = this.slotOf.get(rule.id);
    const order = known === undefined ? this.nextOrder++ : this.entries[known]!.order;
    if (known !== undefined) this.unfile(known);
    const slot = known ?? this.free.pop() ?? this.entries.length;
    const [first, ...rest] = requiredConjuncts(rule.tree, this.share);
    const keys: number[] = [];
    if (first) {
      for (const k of first.keys) {
        const id = this.keyId(k);
        if (!keys.includes(id)) {
          keys.push(id);
          this.filed[id]!.push(slot);
        }
      }
    } else {
      this.always.add(slot);
    }
    const filedUnder = keys.length;
    const second = first && rest.find((r) => !sameKeys(r, first) && r.cost < 0.9);
    if (second) for (const k of second.keys) keys.push(this.keyId(k));
    this.entries[slot] = { id: rule.id, matcher: rule.matcher, order, keys, filedUnder };
    this.slotOf.set(rule.id, slot);
    this.seen = atLeast(this.seen, this.entries.length);
    this.selected = atLeast(this.selected, this.entries.length);
    this.all = undefined;
  }

  /** Removes the rule with this id; false when there is none. */
  remove(id: string): boolean {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return false;
    this.unfile(slot);
    this.entries[slot] = undefined;
    this.slotOf.delete(id);
    this.free.push(slot);
    this.all = undefined;
    return true;
  }

  /** Takes the rule in `slot` out of its key lists and the always-checked set. */
  private unfile(slot: number): void {
    const e = this.entries[slot]!;
    for (let i = 0; i < e.filedUnder; i++) {
      const list = this.filed[e.keys[i]!]!;
      const at = list.indexOf(slot);
      list[at] = list[list.length - 1]!;
      list.pop();
    }
    this.always.delete(slot);
  }

  /** The id of a key, new keys entered in the word tables as they are made. */
  private keyId(k: Key): number {
    const known = this.knownKey(k);
    if (known !== undefined) return known;
    const id = this.filed.push([]) - 1;
    this.held = atLeast(this.held, this.filed.length);
    const tables = this.tables?.generation === wordIds.generation ? this.tables : undefined;
    switch (k.kind) {
      case 'stem':
        this.stemWords.set(k.word, id);
        if (tables) for (const [language, table] of tables.stems) tables.stems.set(language, this.fileStem(table, language, k.word, id));
        break;
      case 'norm':
        this.normIds.set(k.word, id);
        if (tables) tables.normKey = setKey(tables.normKey, wordIds.norm(k.word), id);
        break;
      case 'prefix':
        if (k.prefix.length === PREFIX_KEY_LENGTH) {
          this.fullPrefixIds.set(k.prefix, id);
          if (tables) tables.prefixKey = setKey(tables.prefixKey, wordIds.prefix(k.prefix), id);
        } else {
          this.prefixIds.set(prefixHash(k.prefix, k.prefix.length), id);
          if (!this.prefixLengths.includes(k.prefix.length)) this.prefixLengths = [...this.prefixLengths, k.prefix.length].sort((a, b) => a - b);
        }
        break;
      case 'meta':
        this.metaIds.set(k.key, id);
        break;
      case 'literal':
        this.literalIds.set(k.text, id);
        this.literals.add(k.text, id);
        // Words learnt before may contain the new literal.
        if (tables) {
          tables.literalState = new Int32Array(0);
          tables.literalKeys = [];
        }
        break;
    }
    return id;
  }

  private knownKey(k: Key): number | undefined {
    switch (k.kind) {
      case 'stem':
        return this.stemWords.get(k.word);
      case 'norm':
        return this.normIds.get(k.word);
      case 'prefix':
        // Shorter prefixes with the same hash share an id (a collision only adds candidates).
        return k.prefix.length === PREFIX_KEY_LENGTH ? this.fullPrefixIds.get(k.prefix) : this.prefixIds.get(prefixHash(k.prefix, k.prefix.length));
      case 'meta':
        return this.metaIds.get(k.key);
      case 'literal':
        return this.literalIds.get(k.text);
    }
  }

  /** Number of rules. */
  get size(): number {
    return this.slotOf.size;
  }

  /** The rules in result order. */
  get rules(): readonly IndexedRule[] {
    return Array.from(this.ordered(), (slot) => this.entries[slot]!);
  }

  /** Number of rules evaluated on every article because they have no required keys. */
  get alwaysChecked(): number {
    return this.always.size;
  }

  /** Every live slot, in result order. */
  private ordered(): Uint32Array {
    const slots = Uint32Array.from(this.slotOf.values());
    return this.inOrder(slots, slots.length);
  }

  /** The first n slots sorted into result order. */
  private inOrder(slots: Uint32Array, n: number): Uint32Array {
    const entries = this.entries;
    return Uint32Array.from(slots.subarray(0, n)).sort((a, b) => entries[a]!.order - entries[b]!.order);
  }

  /** The word tables for the current generation of word ids; rebuilt when it moves on. */
  private wordTables(): WordTables {
    if (this.tables?.generation === wordIds.generation) return this.tables;
    let normKey: Int32Array = new Int32Array(0);
    for (const [norm, id] of this.normIds) normKey = setKey(normKey, wordIds.norm(norm), id);
    let prefixKey: Int32Array = new Int32Array(0);
    for (const [prefix, id] of this.fullPrefixIds) prefixKey = setKey(prefixKey, wordIds.prefix(prefix), id);
    return (this.tables = { generation: wordIds.generation, normKey, prefixKey, stems: new Map(), literalState: new Int32Array(0), literalKeys: [] });
  }

  /** Per stem id of a language: the stemmed keys (built on first use per language). */
  private stemTable(tables: WordTables, language: string): StemTable {
    let table = tables.stems.get(language);
    if (table) return table;
    table = { slotOf: new Int32Array(0), keys: [] };
    for (const [word, id] of this.stemWords) table = this.fileStem(table, language, word, id);
    tables.stems.set(language, table);
    return table;
  }

  /** Enters a stemmed key under its stem in a language's table (which may grow: use the result). */
  private fileStem(table: StemTable, language: string, word: string, id: number): StemTable {
    const s = wordIds.stem(language, stemmerFor(language).stem(word));
    const slotOf = atLeast(table.slotOf, s + 1);
    let slot = slotOf[s]!;
    if (slot === 0) slot = slotOf[s] = table.keys.push([]);
    const keys = table.keys[slot - 1]!;
    if (!keys.includes(id)) keys.push(id);
    return { slotOf, keys: table.keys };
  }

  /** The regex literal keys a word contains, learnt once per word id (see WordTables). */
  private literalState(tables: WordTables, normId: number, norm: string): number {
    tables.literalState = atLeast(tables.literalState, normId + 1);
    const found: number[] = [];
    this.literals.scan(norm, (id) => {
      if (!found.includes(id)) found.push(id);
    });
    const state = found.length === 0 ? 1 : tables.literalKeys.push(found) + 1;
    tables.literalState[normId] = state;
    return state;
  }

  /** Holds the key (+1; 0 = none) that `keyOf` gives each of the ids. */
  private holdAll(keyOf: Int32Array, ids: ArrayLike<number>, epoch: number): void {
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
    const list = this.filed[id]!;
    const seen = this.seen;
    for (let i = 0; i < list.length; i++) {
      const r = list[i]!;
      if (seen[r] !== epoch) {
        seen[r] = epoch;
        this.selected[this.count++] = r;
      }
    }
  }

  /** Slots of the rules to evaluate for an article, in result order, and how many keys selected. */
  candidates(d: PreparedArticle): { rules: Uint32Array; selected: number } {
    // A few rules are evaluated faster than the article's words are looked up.
    if (this.size < this.minIndexed) {
      this.all ??= this.ordered();
      return { rules: this.all, selected: this.all.length };
    }
    // The article's ids first: bringing them to the current generation may add ids, which the
    // tables built next then cover.
    const ids = d.wordIdLists();
    const tables = this.wordTables();
    const stemTable = this.stemTable(tables, d.stemLanguage);
    const epoch = ++this.epoch;
    this.count = 0;
    {
      const { slotOf, keys } = stemTable;
      const stems = ids.stems;
      for (let i = 0; i < stems.length; i++) {
        const sid = stems[i]!;
        const slot = sid < slotOf.length ? slotOf[sid]! : 0;
        if (slot === 0) continue;
        const list = keys[slot - 1]!;
        for (let j = 0; j < list.length; j++) this.hold(list[j]!, epoch);
      }
    }
    if (this.normIds.size > 0) this.holdAll(tables.normKey, ids.norms, epoch);
    if (this.fullPrefixIds.size > 0) this.holdAll(tables.prefixKey, ids.prefixes, epoch);
    if (this.prefixIds.size > 0) {
      const lengths = this.prefixLengths;
      const max = lengths[lengths.length - 1]!;
      for (let k = 0, n = d.distinctCount; k < n; k++) {
        const w = d.distinctNorm(k);
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
      for (let i = 0, n = d.distinctCount; i < n; i++) {
        const nid = norms[i]!;
        let state = nid < tables.literalState.length ? tables.literalState[nid]! : 0;
        if (state === 0) state = this.literalState(tables, nid, d.distinctNorm(i));
        if (state > 1) for (const id of tables.literalKeys[state - 2]!) this.hold(id, epoch);
      }
      // ICU puts a few runs in segments that are not words ("abc\u200d😀"): searched as text.
      if (d.looseText !== '') this.literals.scan(d.looseText, (id) => this.hold(id, epoch));
    }
    // Second pass: a candidate must hold one of its second keys, when it has any.
    const held = this.held;
    const selected = this.selected;
    const out = new Uint32Array(this.count + this.always.size);
    let n = 0;
    for (let i = 0; i < this.count; i++) {
      const r = selected[i]!;
      const { keys, filedUnder } = this.entries[r]!;
      let ok = filedUnder === keys.length;
      for (let j = filedUnder; !ok && j < keys.length; j++) ok = held[keys[j]!] === epoch;
      if (ok) out[n++] = r;
    }
    for (const r of this.always) out[n++] = r;
    return { rules: this.inOrder(out, n), selected: this.count };
  }

  /** The rules that match, in result order, each with its hits. */
  match(article: MatchInput | PreparedArticle, stats?: MatchStats): RuleMatch[] {
    const d = asPrepared(article);
    const { rules, selected } = this.candidates(d);
    const out: RuleMatch[] = [];
    for (const slot of rules) {
      const r = this.entries[slot]!;
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

/** Sets keyOf[at] = id + 1, growing the array when needed (use the result). */
function setKey(keyOf: Int32Array, at: number, id: number): Int32Array {
  const grown = atLeast(keyOf, at + 1);
  grown[at] = id + 1;
  return grown;
}
