// Prepares an article once for any number of rules: segments title, summary and content into
// words (segment.ts), normalises and stems each (cached per raw word), adds the joined form of
// hyphenated words ("cease-fire" → also "ceasefire"), and indexes words and stems to positions.
// The words are prepared on first use: rules that only look at metadata (`feed:`, `lang:`,
// `site:`, `url:`) on an index small enough to evaluate every rule never need them. Most
// articles select no rule in the index, which reads only the words' ids: the word objects, the maps
// from text to words and stems, and each word's list of tokens are built when a rule first asks
// for them.
import { randomBytes } from 'node:crypto';
import { PREFIX_KEY_LENGTH } from './required.js';
import { type MatchInput } from './types.js';
import { fold, literalHaystack, normalizeWord, possessiveLength } from './normalize.js';
import { segmentInto, type Segments } from './segment.js';
import { primaryLanguage, stemLanguage, stemmerFor, type CachedStemmer } from './stem.js';
import { wordIds } from './word-ids.js';

export const TITLE = 1;
export const SUMMARY = 2;
export const CONTENT = 4;
export const ALL_TEXT = TITLE | SUMMARY | CONTENT;
/** Field bit → Hit field name; index = bit index. */
export const TEXT_FIELD_NAMES = ['title', 'summary', 'content'] as const;

/** Prefix look-ups per article answered by scanning before the words are sorted once. */
const PREFIX_SCANS = 40;

/** Positions between fields, so that phrases and NEAR never span two fields. */
const FIELD_GAP = 1_000_000;

/**
 * A distinct normalised word of the article and where it occurs. It is also the StemInfo of a
 * stem no other word of the article has (most stems): a stem map needs no object of its own for it.
 * Made only when something asks for the article's words by text (Words.infos): most articles
 * select no rule, and the rule index reads ids.
 */
export class NormInfo implements StemInfo {
  private list: number[] | undefined;
  private alone: readonly NormInfo[] | undefined;

  constructor(
    private readonly words: Words,
    readonly norm: string,
    readonly stem: string,
    /** Its first token; the others follow it through Words.tokNext. */
    readonly first: number,
    /** Bit set of the fields it occurs in. */
    public fields: number,
  ) {}

  /** Token indices, ascending (so also by position). */
  get toks(): readonly number[] {
    if (this.list === undefined) {
      const next = this.words.tokNext;
      const list: number[] = [];
      for (let t = this.first; t >= 0; t = next[t]!) list.push(t);
      this.list = list;
    }
    return this.list;
  }

  /** As the StemInfo of its stem: itself. */
  get norms(): readonly NormInfo[] {
    return (this.alone ??= [this]);
  }
}

/** The distinct words of the article sharing a stem. */
export interface StemInfo {
  /** In order of first occurrence. */
  readonly norms: readonly NormInfo[];
  /** Bit set of the fields they occur in. */
  fields: number;
}

const prefixIdOf = (norm: string) => (norm.length >= PREFIX_KEY_LENGTH ? wordIds.prefix(norm.slice(0, PREFIX_KEY_LENGTH)) : -1);

/**
 * rawHash's multiplier: odd, drawn once per process. Under a fixed one, words that collide are
 * easy to write ("Aa" and "BB" have one hash under 31, so do all 8,192 words of 13 such pairs), and
 * a feed holding thousands of them made every look-up walk one run of the table: 128 ms for a
 * 100 KB article of them against 10 ms for as many other words, on the main thread.
 */
const HASH_MULTIPLIER = randomBytes(4).readInt32LE() | 1;

/** Hash of text[start, end), as FormCache files raw words. */
function rawHash(text: string, start: number, end: number): number {
  let h = end - start;
  for (let i = start; i < end; i++) h = (Math.imul(h, HASH_MULTIPLIER) + text.charCodeAt(i)) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return h ^ (h >>> 13);
}

/** A copy of `a` at least `size` long (doubling), or `a` itself when long enough. */
function atLeast<T extends Uint8Array | Uint16Array | Int32Array | Uint32Array>(a: T, size: number): T {
  if (size <= a.length) return a;
  const b = new (a.constructor as new (n: number) => T)(Math.max(size, a.length * 2));
  b.set(a);
  return b;
}

/**
 * A copy of a substring that does not keep its text alive. V8 makes a substring of 13 or more
 * characters a view into the text it was cut from: a cached norm (often the raw word itself)
 * would keep the whole article that first brought it for as long as the cache holds it.
 * Only words new to the cache are copied.
 */
function detached(word: string): string {
  return word.length < 13 ? word : (JSON.parse(JSON.stringify(word)) as string);
}

const MAX_FORMS = 200_000;
/** Characters of raw words a cache holds at most (a feed of long made-up words fills it first). */
const MAX_RAW_CHARS = 4_000_000;

/**
 * A raw word's slot in FormCache.slots: its hash, its form id + 1 (0: a free slot), where its
 * characters start in FormCache.chars, and its length × 4 + its possessive suffix's length
 * ("'s": 2, else 0). One slot is one 16-byte run: a look-up reads one place in the table, then
 * the characters.
 */
const enum Raw {
  Hash,
  Form,
  At,
  Length,
  Size,
}

/**
 * A form's record in FormCache.formData: the Words that last met it (stamp) and its index
 * among that article's distinct words, the cache's id of its stem, and its wordIds (norm, stem,
 * prefix: -1 when the norm is shorter than a prefix key) valid in wordIds generation
 * `Generation`. One record per form, so that a token reads one place, not an object.
 */
const enum F {
  Stamp,
  Local,
  Stem,
  Generation,
  NormId,
  StemId,
  PrefixId,
  Size = 8,
}

/**
 * Per Snowball language, what the raw words met so far become (their forms: a normalised word
 * and its stem). A raw word is looked up where it stands in the text (an open-addressing table
 * of character hashes over a pool of the words' characters), so that a word seen before costs
 * no substring; what a token reads sits in typed arrays, not in objects and strings spread over
 * the heap, whose loads missed the processor's caches on most tokens. A full cache is replaced
 * by a new one, only before an article is tokenised (formCache), so that ids never change
 * while an article is; an article tokenised earlier keeps reading its words' text from its own.
 */
class FormCache {
  /** The raw words met so far, Raw.Size ints per slot. */
  slots = new Int32Array(1024 * Raw.Size);
  private rawCount = 0;
  /** The raw words' characters, one after another. */
  private chars = new Uint16Array(8192);
  private charCount = 0;
  /** Per form id: the normalised word, its stem, and F.Size ints of record. */
  readonly formNorm: string[] = [];
  readonly formStem: string[] = [];
  formData = new Int32Array(256 * F.Size);
  /** Per stem id (the cache's own): the Words that last met it. */
  stemStamp = new Int32Array(256);
  private readonly formIds = new Map<string, number>();
  private readonly stemIds = new Map<string, number>();

  constructor(private readonly stemmer: CachedStemmer) {}

  /** Whether the cache has grown as large as it may. */
  get full(): boolean {
    return this.rawCount >= MAX_FORMS || this.formNorm.length >= MAX_FORMS || this.charCount >= MAX_RAW_CHARS;
  }

  /** The slot (index into `slots`) of the raw word text[start, end), filed on first sight. */
  raw(text: string, start: number, end: number): number {
    const hash = rawHash(text, start, end);
    const slots = this.slots;
    const mask = (slots.length >> 2) - 1;
    const length = end - start;
    let s = (hash & mask) << 2;
    for (; slots[s + Raw.Form] !== 0; s = (s + Raw.Size) & (slots.length - 1)) {
      if (slots[s] !== hash || slots[s + Raw.Length]! >>> 2 !== length) continue;
      const chars = this.chars;
      const at = slots[s + Raw.At]!;
      let k = 0;
      while (k < length && chars[at + k] === text.charCodeAt(start + k)) k++;
      if (k === length) return s;
    }
    if ((this.rawCount + 1) * 2 > slots.length >> 2) {
      this.grow();
      return this.raw(text, start, end);
    }
    const raw = text.slice(start, end);
    const form = this.form(normalizeWord(raw));
    const at = this.charCount;
    const chars = (this.chars = atLeast(this.chars, at + length));
    for (let k = 0; k < length; k++) chars[at + k] = text.charCodeAt(start + k);
    this.charCount = at + length;
    this.rawCount++;
    slots[s] = hash;
    slots[s + Raw.Form] = form + 1;
    slots[s + Raw.At] = at;
    slots[s + Raw.Length] = length * 4 + possessiveLength(raw);
    return s;
  }

  /** The form id of a normalised word. */
  form(norm: string): number {
    let id = this.formIds.get(norm);
    if (id === undefined) {
      norm = detached(norm);
      const stem = this.stemmer.stem(norm);
      let stemId = this.stemIds.get(stem);
      if (stemId === undefined) {
        stemId = this.stemIds.size;
        this.stemIds.set(stem, stemId);
        this.stemStamp = atLeast(this.stemStamp, stemId + 1);
      }
      id = this.formNorm.push(norm) - 1;
      this.formStem.push(stem);
      this.formIds.set(norm, id);
      const data = (this.formData = atLeast(this.formData, (id + 1) * F.Size));
      data[id * F.Size + F.Stem] = stemId;
      data[id * F.Size + F.Generation] = -1;
    }
    return id;
  }

  /** Doubles the table. */
  private grow(): void {
    const old = this.slots;
    const size = (old.length >> 2) * 2;
    const slots = new Int32Array(size * Raw.Size);
    for (let s = 0; s < old.length; s += Raw.Size) {
      if (old[s + Raw.Form] === 0) continue;
      let i = old[s]! & (size - 1);
      while (slots[i * Raw.Size + Raw.Form] !== 0) i = (i + 1) & (size - 1);
      slots.set(old.subarray(s, s + Raw.Size), i * Raw.Size);
    }
    this.slots = slots;
  }
}

const formCaches = new Map<string, FormCache>();

function formCache(language: string, stemmer: CachedStemmer): FormCache {
  let m = formCaches.get(language);
  if (!m || m.full) {
    m = new FormCache(stemmer);
    formCaches.set(language, m);
  }
  return m;
}

function isHyphen(code: number): boolean {
  return code === 0x2d || code === 0x2010 || code === 0x2011;
}

/** Tells one tokenisation from another in FormCache's stamps. */
let lastStamp = 0;

/**
 * A distinct word's record in Words.local: its form id, first and last token, fields (bit set),
 * and the wordIds id of its stem (in the generation Words.idGeneration).
 */
const enum L {
  Form,
  First,
  Last,
  Fields,
  StemId,
  Size,
}

/** An open-addressing table of (id, value + 1) pairs with room for `n`, at most half full. */
function idTable(n: number): Int32Array {
  let size = 8;
  while (size < n * 2) size <<= 1;
  return new Int32Array(size * 2);
}

/** Where `id` is filed in `table`, or the free pair where it would go. */
function idSlot(table: Int32Array, id: number): number {
  const mask = (table.length >> 1) - 1;
  let h = Math.imul(id ^ (id >>> 16), 0x45d9f3b);
  h = (h ^ (h >>> 16)) & mask;
  while (table[h * 2 + 1] !== 0 && table[h * 2] !== id) h = (h + 1) & mask;
  return h * 2;
}

/** The value filed under `id`, or -1. */
function idGet(table: Int32Array, id: number): number {
  return table[idSlot(table, id) + 1]! - 1;
}

/** Files `value` under `id`. */
function idPut(table: Int32Array, id: number, value: number): void {
  const at = idSlot(table, id);
  table[at] = id;
  table[at + 1] = value + 1;
}

/** The words of an article and where they occur, built by PreparedArticle on first use. */
class Words {
  /** Tokens. */
  count = 0;
  /** Distinct normalised words, in order of first occurrence (L.Size ints each in `local`). */
  distinctCount = 0;
  tokField: Uint8Array;
  tokStart: Uint32Array;
  tokEnd: Uint32Array;
  tokPos: Int32Array;
  tokEndPos: Int32Array;
  /** Per token, the next token of the same normalised word, or -1. */
  tokNext: Int32Array;
  local: Int32Array;
  /**
   * wordIds of the distinct norms and stems, in the generation `idGeneration`, and the prefix ids
   * of the distinct norms long enough to have one (repeats possible): the first normIdCount (…)
   * entries, in the token buffer (a word is at least one token, so they fit).
   */
  normIds: Int32Array;
  stemIds: Int32Array;
  prefixIds: Int32Array;
  normIdCount = 0;
  stemIdCount = 0;
  prefixIdCount = 0;
  idGeneration = wordIds.generation;
  looseText = '';
  private readonly stamp = ++lastStamp;
  private readonly cache: FormCache;
  // Most articles select no rule, and only rules look words up (by id or text): these are built then.
  private infoList: NormInfo[] | undefined;
  /** Word objects made one by one (infoAt); `infoList` once all are. */
  private made: NormInfo[] | undefined;
  /** Norm id → distinct word; stem id → the first distinct word of the stem, stemNext → the next of its stem or -1. */
  private normTable: Int32Array | undefined;
  private stemTable: Int32Array | undefined;
  private stemNext: Int32Array | undefined;
  private stemGroups: Map<number, StemInfo> | undefined;
  private normMap: Map<string, NormInfo> | undefined;
  private stemMap: Map<string, StemInfo> | undefined;

  constructor(
    texts: readonly string[],
    private readonly stemLanguage: string,
    stemmer: CachedStemmer,
  ) {
    this.tokField = new Uint8Array(0);
    this.tokStart = this.tokEnd = new Uint32Array(0);
    this.tokPos = this.tokEndPos = this.tokNext = this.local = this.normIds = this.stemIds = this.prefixIds = new Int32Array(0);
    this.allocate(Math.max(16, (texts[0]!.length + texts[1]!.length + texts[2]!.length) >> 2));
    this.cache = formCache(stemLanguage, stemmer);
    this.tokenize(texts);
  }

  /** The normalised text of distinct word `i`. */
  norm(i: number): string {
    return this.cache.formNorm[this.local[i * L.Size + L.Form]!]!;
  }

  /** The distinct normalised words in order of first occurrence. */
  get infos(): readonly NormInfo[] {
    if (this.infoList === undefined) {
      for (let i = 0; i < this.distinctCount; i++) this.infoAt(i);
      this.infoList = this.made ?? [];
    }
    return this.infoList;
  }

  /** The object of distinct word `i`. */
  infoAt(i: number): NormInfo {
    const made = (this.made ??= []);
    let info = made[i];
    if (info === undefined) {
      const r = i * L.Size;
      const form = this.local[r + L.Form]!;
      info = made[i] = new NormInfo(this, this.cache.formNorm[form]!, this.cache.formStem[form]!, this.local[r + L.First]!, this.local[r + L.Fields]!);
    }
    return info;
  }

  /** Fields (bit set) of distinct word `i`. */
  fieldsAt(i: number): number {
    return this.local[i * L.Size + L.Fields]!;
  }

  /**
   * Brings the ids to wordIds' current generation when it has moved on since the article was
   * tokenised (wordIds.trim dropped them), from the words' text.
   */
  refreshIds(): void {
    if (this.idGeneration === wordIds.generation) return;
    this.idGeneration = wordIds.generation;
    const { formNorm, formStem } = this.cache;
    const stems = new Set<number>();
    this.prefixIdCount = 0;
    this.stemIdCount = 0;
    for (let i = 0, r = 0; i < this.distinctCount; i++, r += L.Size) {
      const form = this.local[r + L.Form]!;
      const norm = formNorm[form]!;
      this.normIds[i] = wordIds.norm(norm);
      const prefixId = prefixIdOf(norm);
      if (prefixId >= 0) this.prefixIds[this.prefixIdCount++] = prefixId;
      const stemId = (this.local[r + L.StemId] = wordIds.stem(this.stemLanguage, formStem[form]!));
      if (!stems.has(stemId)) {
        stems.add(stemId);
        this.stemIds[this.stemIdCount++] = stemId;
      }
    }
    this.normTable = this.stemTable = this.stemNext = undefined;
    this.stemGroups = undefined;
  }

  /** The distinct word whose norm has id `id` (of wordIds' current generation), or -1. */
  localOfNorm(id: number): number {
    this.refreshIds();
    let table = this.normTable;
    if (table === undefined) {
      table = this.normTable = idTable(this.distinctCount);
      for (let i = 0; i < this.distinctCount; i++) idPut(table, this.normIds[i]!, i);
    }
    return idGet(table, id);
  }

  /** The first distinct word whose stem has id `id` (the others follow through stemNext), or -1. */
  localOfStem(id: number): number {
    this.refreshIds();
    let table = this.stemTable;
    if (table === undefined) {
      table = this.stemTable = idTable(this.stemIdCount);
      const next = (this.stemNext = new Int32Array(this.distinctCount));
      // From the last word back, each put before the stem's first so far: chains in text order.
      for (let i = this.distinctCount - 1; i >= 0; i--) {
        const stemId = this.local[i * L.Size + L.StemId]!;
        const at = idSlot(table, stemId);
        next[i] = table[at + 1]! - 1;
        table[at] = stemId;
        table[at + 1] = i + 1;
      }
    }
    return idGet(table, id);
  }

  /** The words of the stem whose first distinct word is `first` (localOfStem), as a StemInfo. */
  stemAt(first: number): StemInfo {
    const next = this.stemNext!;
    if (next[first] === -1) return this.infoAt(first);
    const groups = (this.stemGroups ??= new Map());
    let group = groups.get(first);
    if (group === undefined) {
      const norms: NormInfo[] = [];
      let fields = 0;
      for (let i = first; i >= 0; i = next[i]!) {
        norms.push(this.infoAt(i));
        fields |= this.fieldsAt(i);
      }
      group = { norms, fields };
      groups.set(first, group);
    }
    return group;
  }

  /** Fields (bit set) of the stem whose first distinct word is `first`. */
  stemFieldsAt(first: number): number {
    const next = this.stemNext!;
    let fields = 0;
    for (let i = first; i >= 0; i = next[i]!) fields |= this.fieldsAt(i);
    return fields;
  }

  get norms(): Map<string, NormInfo> {
    if (this.normMap === undefined) {
      const map = new Map<string, NormInfo>();
      for (const info of this.infos) map.set(info.norm, info);
      this.normMap = map;
    }
    return this.normMap;
  }

  get stems(): Map<string, StemInfo> {
    if (this.stemMap === undefined) {
      const map = new Map<string, StemInfo>();
      for (const info of this.infos) {
        const s = map.get(info.stem);
        if (s === undefined) map.set(info.stem, info);
        else if (s instanceof NormInfo) map.set(info.stem, { norms: [s, info], fields: s.fields | info.fields });
        else {
          (s.norms as NormInfo[]).push(info);
          s.fields |= info.fields;
        }
      }
      this.stemMap = map;
    }
    return this.stemMap;
  }

  /**
   * (Re)allocates the token arrays for `cap` tokens, keeping the tokens so far: views of one
   * buffer, because each typed array of its own costs an allocation outside the heap. A word
   * is at least one token, so the distinct words' arrays fit in the same capacity.
   */
  private allocate(cap: number): void {
    const buffer = new ArrayBuffer(cap * (33 + 4 * L.Size));
    const view = <T extends Uint8Array | Uint32Array | Int32Array>(make: new (b: ArrayBuffer, at: number, n: number) => T, at: number, old: T, n = cap, kept = this.count): T => {
      const a = new make(buffer, at, n);
      if (kept > 0) a.set(old.subarray(0, kept));
      return a;
    };
    this.tokStart = view(Uint32Array, 0, this.tokStart);
    this.tokEnd = view(Uint32Array, cap * 4, this.tokEnd);
    this.tokPos = view(Int32Array, cap * 8, this.tokPos);
    this.tokEndPos = view(Int32Array, cap * 12, this.tokEndPos);
    this.tokNext = view(Int32Array, cap * 16, this.tokNext);
    this.normIds = view(Int32Array, cap * 20, this.normIds);
    this.stemIds = view(Int32Array, cap * 24, this.stemIds);
    this.prefixIds = view(Int32Array, cap * 28, this.prefixIds);
    this.local = view(Int32Array, cap * 32, this.local, cap * L.Size, this.distinctCount * L.Size);
    this.tokField = view(Uint8Array, cap * (32 + 4 * L.Size), this.tokField);
  }

  /** Adds a token of the form `formId`. */
  private add(cache: FormCache, formId: number, field: number, start: number, end: number, pos: number, endPos: number): void {
    const t = this.count;
    if (t === this.tokField.length) this.allocate(t * 2);
    this.tokField[t] = field;
    this.tokStart[t] = start;
    this.tokEnd[t] = end;
    this.tokPos[t] = pos;
    this.tokEndPos[t] = endPos;
    this.tokNext[t] = -1;
    this.count = t + 1;
    const data = cache.formData;
    const f = formId * F.Size;
    const local = this.local;
    if (data[f + F.Stamp] === this.stamp) {
      const r = data[f + F.Local]! * L.Size;
      this.tokNext[local[r + L.Last]!] = t;
      local[r + L.Last] = t;
      local[r + L.Fields]! |= field;
      return;
    }
    if (data[f + F.Generation] !== this.idGeneration) {
      const norm = cache.formNorm[formId]!;
      data[f + F.NormId] = wordIds.norm(norm);
      data[f + F.StemId] = wordIds.stem(this.stemLanguage, cache.formStem[formId]!);
      data[f + F.PrefixId] = prefixIdOf(norm);
      data[f + F.Generation] = this.idGeneration;
    }
    data[f + F.Stamp] = this.stamp;
    const d = this.distinctCount++;
    data[f + F.Local] = d;
    const r = d * L.Size;
    local[r + L.Form] = formId;
    local[r + L.First] = t;
    local[r + L.Last] = t;
    local[r + L.Fields] = field;
    local[r + L.StemId] = data[f + F.StemId]!;
    this.normIds[this.normIdCount++] = data[f + F.NormId]!;
    const prefixId = data[f + F.PrefixId]!;
    if (prefixId >= 0) this.prefixIds[this.prefixIdCount++] = prefixId;
    const stem = data[f + F.Stem]!;
    if (cache.stemStamp[stem] !== this.stamp) {
      cache.stemStamp[stem] = this.stamp;
      this.stemIds[this.stemIdCount++] = data[f + F.StemId]!;
    }
  }

  private tokenize(texts: readonly string[]): void {
    const cache = this.cache;
    let loose: string[] | undefined;
    let pos = 0;
    for (let f = 0; f < 3; f++) {
      const text = texts[f]!;
      if (text === '') continue;
      const field = 1 << f;
      const n = segmentInto(text, segments, true);
      const spans = segments.spans;
      // Hyphen group in progress: its parts' forms (group[0 … parts - 1]), first start and position.
      let parts = 0;
      let groupStart = 0;
      let groupPos = 0;
      let prevEnd = -2;
      let prevPossessive = false;
      for (let k = 0; k < n; k += 2) {
        const s = spans[k]!;
        const e = spans[k + 1]!;
        if (s < 0) {
          (loose ??= []).push(text.slice(-s - 1, e));
          continue;
        }
        const slot = cache.raw(text, s, e);
        const formId = cache.slots[slot + Raw.Form]! - 1;
        // A possessive ("Russia's") ends two characters before the word does.
        const cut = cache.slots[slot + Raw.Length]! & 3;
        const end = e - cut;
        if (!(s === prevEnd + 1 && !prevPossessive && isHyphen(text.charCodeAt(prevEnd)) && parts > 0)) {
          if (parts > 1) this.addGroup(cache, parts, field, groupStart, prevEnd, groupPos, pos - 1);
          parts = 0;
          groupStart = s;
          groupPos = pos;
        }
        group[parts++] = formId;
        this.add(cache, formId, field, s, end, pos, pos);
        pos++;
        prevEnd = end;
        prevPossessive = cut > 0;
      }
      if (parts > 1) this.addGroup(cache, parts, field, groupStart, prevEnd, groupPos, pos - 1);
      pos += FIELD_GAP;
    }
    if (loose !== undefined) this.looseText = literalHaystack(loose);
    // A long text's spans are not kept for the rest of the process.
    if (segments.spans.length > MAX_KEPT_SPANS) segments.spans = new Int32Array(1024);
  }

  /** Adds the joined form of a hyphen group ("cease-fire" → "ceasefire") of `parts` words in `group`. */
  private addGroup(cache: FormCache, parts: number, field: number, start: number, end: number, pos: number, endPos: number): void {
    let joined = '';
    for (let i = 0; i < parts; i++) joined += cache.formNorm[group[i]!]!;
    this.add(cache, cache.form(joined), field, start, end, pos, endPos);
  }
}

/**
 * The segments of the text being tokenised and the form ids of its hyphen group in progress,
 * shared by every tokenisation: one runs at a time, from start to end, on one thread.
 */
const segments: Segments = { spans: new Int32Array(1024) };
const group: number[] = [];
/** Ints of spans kept between tokenisations (256 KB; a 100,000-character content needs up to 400 KB). */
const MAX_KEPT_SPANS = 65_536;

/** An article prepared for matching. Build with prepareArticle(); treat as read-only. */
export class PreparedArticle {
  /** Snowball language used for stems ("english" when unknown). */
  readonly stemLanguage: string;
  readonly stemmer: CachedStemmer;
  /** Language tag, lower case with "-" ("en-gb"), or "" when unknown. */
  readonly langTag: string;
  /** Raw text of title, summary, content (index = field bit index). */
  readonly texts: [string, string, string];
  /** Lower-cased URL, its host name, and the [start, end) of the host in the URL. */
  readonly url: string;
  readonly host: string;
  readonly hostAt: number;
  /** Folded feed id and feed tags. */
  readonly feeds: string[];
  private prepared: Words | undefined;
  private sortedNorms: NormInfo[] | undefined;
  private prefixScans = 0;

  constructor(readonly input: MatchInput) {
    this.stemLanguage = stemLanguage(input.language);
    this.stemmer = stemmerFor(this.stemLanguage);
    this.langTag = input.language ? input.language.trim().toLowerCase().replace(/_/g, '-') : '';
    this.texts = [input.title ?? '', input.summary ?? '', input.content ?? ''];
    this.url = input.url ? input.url.trim() : '';
    let host = '';
    let hostAt = 0;
    if (this.url) {
      try {
        host = new URL(this.url).hostname.toLowerCase();
        hostAt = Math.max(0, this.url.toLowerCase().indexOf(host));
      } catch {
        host = '';
      }
    }
    this.host = host;
    this.hostAt = hostAt;
    this.feeds = [input.feed, ...(input.feedTags ?? [])].filter((f): f is string => !!f).map(fold);
  }

  /** Whether the words have been prepared (only a rule that looks at words asks for them). */
  get wordsPrepared(): boolean {
    return this.prepared !== undefined;
  }

  /** The words, segmented and indexed the first time anything asks for them. */
  private get words(): Words {
    return (this.prepared ??= new Words(this.texts, this.stemLanguage, this.stemmer));
  }

  /** The distinct normalised words in order of first occurrence (that of wordIdLists().norms). */
  get distinct(): readonly NormInfo[] {
    return this.words.infos;
  }

  /** How many distinct normalised words the article has. */
  get distinctCount(): number {
    return this.words.distinctCount;
  }

  /** The text of distinct word `i` (as distinct[i].norm, without making the word objects). */
  distinctNorm(i: number): string {
    return this.words.norm(i);
  }

  /** Distinct normalised words and where they occur. */
  get norms(): Map<string, NormInfo> {
    return this.words.norms;
  }

  get stems(): Map<string, StemInfo> {
    return this.words.stems;
  }

  /** Tokens: field bit, character start and end, word position and end position (hyphen groups span several). */
  get count(): number {
    return this.words.count;
  }

  get tokField(): Uint8Array {
    return this.words.tokField;
  }

  get tokStart(): Uint32Array {
    return this.words.tokStart;
  }

  get tokEnd(): Uint32Array {
    return this.words.tokEnd;
  }

  get tokPos(): Int32Array {
    return this.words.tokPos;
  }

  get tokEndPos(): Int32Array {
    return this.words.tokEndPos;
  }

  /**
   * Lower-cased text of the segments that are not words but hold ASCII letters or digits, for
   * regex literals (see segmentInto); "" for nearly every article.
   */
  get looseText(): string {
    return this.words.looseText;
  }

  /**
   * wordIds of the article's distinct norms, stems and prefixes, for the rule index. Asked for
   * again when the ids have moved to a new generation since the article was prepared.
   */
  wordIdLists(): { norms: ArrayLike<number>; stems: ArrayLike<number>; prefixes: ArrayLike<number> } {
    const w = this.words;
    w.refreshIds();
    return { norms: w.normIds.subarray(0, w.normIdCount), stems: w.stemIds.subarray(0, w.stemIdCount), prefixes: w.prefixIds.subarray(0, w.prefixIdCount) };
  }

  /**
   * The distinct word whose norm has wordIds id `id` (of the current generation), if the article
   * has it: what norms.get(word) answers, without the map of every word.
   */
  wordById(id: number): NormInfo | undefined {
    const i = this.words.localOfNorm(id);
    return i < 0 ? undefined : this.words.infoAt(i);
  }

  /** Fields (bit set) of the distinct word whose norm has id `id`; 0 when the article lacks it. */
  wordFieldsById(id: number): number {
    const i = this.words.localOfNorm(id);
    return i < 0 ? 0 : this.words.fieldsAt(i);
  }

  /** The words of the stem with wordIds id `id` (in this article's stem language), as stems.get(stem) answers. */
  stemById(id: number): StemInfo | undefined {
    const i = this.words.localOfStem(id);
    return i < 0 ? undefined : this.words.stemAt(i);
  }

  /** Fields (bit set) of the stem with id `id`; 0 when the article lacks it. */
  stemFieldsById(id: number): number {
    const i = this.words.localOfStem(id);
    return i < 0 ? 0 : this.words.stemFieldsAt(i);
  }

  /** Fields (bit set) in which some word starts with `prefix`; 0 when none. */
  prefixFields(prefix: string): number {
    // A few look-ups scan the words; many sort them once and search.
    if (this.sortedNorms === undefined && ++this.prefixScans <= PREFIX_SCANS) {
      let fields = 0;
      for (const n of this.distinct) if (n.norm.startsWith(prefix)) fields |= n.fields;
      return fields;
    }
    let fields = 0;
    for (const n of this.normsWithPrefix(prefix)) fields |= n.fields;
    return fields;
  }

  /** Distinct normalised words starting with `prefix`, via a lazily sorted word list. */
  normsWithPrefix(prefix: string): NormInfo[] {
    if (this.sortedNorms === undefined && ++this.prefixScans <= PREFIX_SCANS) {
      const found: NormInfo[] = [];
      for (const n of this.distinct) if (n.norm.startsWith(prefix)) found.push(n);
      return found.sort((a, b) => a.first - b.first);
    }
    const sorted = (this.sortedNorms ??= [...this.distinct].sort((a, b) => (a.norm < b.norm ? -1 : a.norm > b.norm ? 1 : 0)));
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]!.norm < prefix) lo = mid + 1;
      else hi = mid;
    }
    const out: NormInfo[] = [];
    for (let i = lo; i < sorted.length && sorted[i]!.norm.startsWith(prefix); i++) out.push(sorted[i]!);
    return out;
  }

  /** Primary language subtag ("en"), or "" when unknown. */
  get primaryLanguage(): string {
    return primaryLanguage(this.langTag) ?? '';
  }
}

/** Prepares an article once; pass the result to RuleIndex.match or evaluateRule many times. */
export function prepareArticle(input: MatchInput): PreparedArticle {
  wordIds.trim();
  return new PreparedArticle(input);
}
