// Prepares an article once for any number of rules: segments title, summary and content into
// words (segment.ts), normalises and stems each (cached per raw word), adds the joined form of
// hyphenated words ("cease-fire" → also "ceasefire"), and indexes words and stems to positions.
// The words are prepared on first use: rules that only look at metadata (`feed:`, `lang:`,
// `site:`, `url:`) on an index small enough to evaluate every rule never need them. Most
// articles select no rule in the index, which reads only the words' ids: the maps from text to
// words and stems, and each word's list of tokens, are built when a rule first asks for them.
import { randomBytes } from 'node:crypto';
import { PREFIX_KEY_LENGTH } from './required.js';
import { type MatchInput } from './types.js';
import { fold, literalHaystack, normalizeWord, possessiveLength } from './normalize.js';
import { segmentWords } from './segment.js';
import { limitStemCaches, primaryLanguage, stemLanguage, stemmerFor, type CachedStemmer } from './stem.js';
import { seedFor, type AttachedWordSeed, type SeedSource, type SeedTokens, type WordSeed } from './word-seed.js';
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

/** A distinct normalised word of the article and where it occurs. */
export class NormInfo {
  /** Its tokens after `first`, chained through Words.tokNext (an array only when asked for). */
  last: number;
  count = 1;
  private list: number[] | undefined;

  constructor(
    private readonly words: Words,
    readonly norm: string,
    readonly stem: string,
    /** Its first token. */
    readonly first: number,
    /** Bit set of the fields it occurs in. */
    public fields: number,
  ) {
    this.last = first;
  }

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
}

/** The distinct words of the article sharing a stem. */
export interface StemInfo {
  /** In order of first occurrence. */
  norms: NormInfo[];
  /** Bit set of the fields they occur in. */
  fields: number;
}

/** A normalised word and its stem, shared by the raw words that normalise to it, with its ids. */
interface WordForm {
  norm: string;
  stem: string;
  /** wordIds of norm and stem, valid while wordIds.generation is `generation`. */
  normId: number;
  stemId: number;
  /** Id of the norm's first PREFIX_KEY_LENGTH characters; -1 when the norm is shorter. */
  prefixId: number;
  generation: number;
}

const prefixIdOf = (norm: string) => (norm.length >= PREFIX_KEY_LENGTH ? wordIds.prefix(norm.slice(0, PREFIX_KEY_LENGTH)) : -1);

/** The form with its wordIds brought to the generation `generation`. */
function withIds(form: WordForm, stemLanguage: string, generation: number): WordForm {
  if (form.generation !== generation) {
    form.normId = wordIds.norm(form.norm);
    form.stemId = wordIds.stem(stemLanguage, form.stem);
    form.prefixId = prefixIdOf(form.norm);
    form.generation = generation;
  }
  return form;
}

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

/**
 * Open-addressing table from texts to ids (0, 1, …), by rawHash: a text is looked up where it
 * stands in a longer one (a word in an article, a norm in a seed), so that one met before costs
 * no substring and no string hashing.
 */
class SpanTable {
  /** Per slot: id + 1 (0 = free), and the hash filed there. */
  private slots = new Int32Array(1024);
  private hashes = new Int32Array(1024);
  private size = 0;

  /** The id of text[start, end) (`texts[id]` is each id's text), or, when absent, -1 - the slot to add it at. */
  find(texts: readonly string[], text: string, start: number, end: number, hash: number): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    const length = end - start;
    let i = hash & mask;
    for (let id = slots[i]!; id !== 0; i = (i + 1) & mask, id = slots[i]!) {
      if (this.hashes[i] !== hash) continue;
      const known = texts[id - 1]!;
      if (known.length !== length) continue;
      let k = 0;
      while (k < length && known.charCodeAt(k) === text.charCodeAt(start + k)) k++;
      if (k === length) return id - 1;
    }
    return -1 - i;
  }

  /** Files `id` at the slot find() gave (no other add in between). */
  add(found: number, hash: number, id: number): void {
    const i = -1 - found;
    this.slots[i] = id + 1;
    this.hashes[i] = hash;
    if (++this.size * 2 > this.slots.length) this.grow();
  }

  private grow(): void {
    const size = this.slots.length * 2;
    const slots = new Int32Array(size);
    const hashes = new Int32Array(size);
    for (let j = 0; j < this.slots.length; j++) {
      const id = this.slots[j]!;
      if (id === 0) continue;
      const hash = this.hashes[j]!;
      let i = hash & (size - 1);
      while (slots[i] !== 0) i = (i + 1) & (size - 1);
      slots[i] = id;
      hashes[i] = hash;
    }
    this.slots = slots;
    this.hashes = hashes;
  }
}

/** A copy of `a` at least `size` long (doubling), or `a` itself when long enough. */
function atLeast<T extends Uint8Array | Int32Array | Uint32Array>(a: T, size: number): T {
  if (size <= a.length) return a;
  const b = new (a.constructor as new (n: number) => T)(Math.max(size, a.length * 2));
  b.set(a);
  return b;
}

/**
 * A copy of a substring that does not keep its text alive. V8 makes a substring of 13 or more
 * characters a view into the text it was cut from: a cached raw word (and its norm, often the
 * same string) would keep the whole article that first brought it for as long as the cache
 * holds it. Only words new to the cache are copied.
 */
function detached(word: string): string {
  return word.length < 13 ? word : (JSON.parse(JSON.stringify(word)) as string);
}

/** Forms kept per language before the cache is emptied (see limitWordCaches). */
let maxForms = 200_000;

/**
 * Lowers the bounds of this thread's word caches (forms, and stems per language): a sandbox
 * thread, whose heap is capped, makes word seeds with smaller caches than the main thread's.
 */
export function limitWordCaches(max: number): void {
  maxForms = max;
  limitStemCaches(max);
}

/**
 * Per Snowball language, what the raw words met so far become (their forms), by id. A raw word
 * is looked up where it stands in the text (an open-addressing table of character hashes), so
 * that a word seen before costs no substring; what each token reads sits in typed arrays, not
 * in objects spread over the heap. Emptied, when over MAX_FORMS, only before an article is
 * tokenised, so that ids never change while an article is.
 */
class FormCache {
  /** Raw words by text, and forms by norm. */
  private rawTable = new SpanTable();
  private formTable = new SpanTable();
  /** Per raw word id: its text, form id and possessive suffix length ("'s" → 2, else 0). */
  private raws: string[] = [];
  rawForm = new Int32Array(256);
  rawPossessive = new Uint8Array(256);
  /** Per form id: the form, the id of its stem, and the Words that last met it (stamp) and the word's index there. */
  forms: WordForm[] = [];
  /** Per form id: its norm (the forms' own, kept apart for SpanTable.find). */
  private norms: string[] = [];
  formStem = new Int32Array(256);
  formStamp = new Int32Array(256);
  formLocal = new Int32Array(256);
  /** Per stem id: the Words that last met it. */
  stemStamp = new Int32Array(256);
  private readonly stemIds = new Map<string, number>();

  constructor(private readonly stemmer: CachedStemmer) {}

  /** Empties the cache when it has grown too large. */
  trim(): void {
    if (this.raws.length < maxForms && this.forms.length < maxForms) return;
    this.rawTable = new SpanTable();
    this.formTable = new SpanTable();
    this.raws = [];
    this.forms = [];
    this.norms = [];
    this.stemIds.clear();
  }

  /** The raw word id of text[start, end). */
  raw(text: string, start: number, end: number): number {
    const hash = rawHash(text, start, end);
    const found = this.rawTable.find(this.raws, text, start, end, hash);
    if (found >= 0) return found;
    const raw = detached(text.slice(start, end));
    const id = this.raws.push(raw) - 1;
    this.rawForm = atLeast(this.rawForm, id + 1);
    this.rawPossessive = atLeast(this.rawPossessive, id + 1);
    this.rawForm[id] = this.form(normalizeWord(raw));
    this.rawPossessive[id] = possessiveLength(raw);
    this.rawTable.add(found, hash, id);
    return id;
  }

  /** The form id of a normalised word. */
  form(norm: string): number {
    return this.formOf(norm, 0, norm.length);
  }

  /** The form id of the normalised word text[start, end). */
  formOf(text: string, start: number, end: number): number {
    const hash = rawHash(text, start, end);
    const found = this.formTable.find(this.norms, text, start, end, hash);
    let id = found;
    if (found < 0) {
      const norm = start === 0 && end === text.length ? text : detached(text.slice(start, end));
      const stem = this.stemmer.stem(norm);
      let stemId = this.stemIds.get(stem);
      if (stemId === undefined) {
        stemId = this.stemIds.size;
        this.stemIds.set(stem, stemId);
        this.stemStamp = atLeast(this.stemStamp, stemId + 1);
        this.stemStamp[stemId] = 0;
      }
      id = this.forms.push({ norm, stem, normId: 0, stemId: 0, prefixId: -1, generation: -1 }) - 1;
      this.norms.push(norm);
      this.formTable.add(found, hash, id);
      this.formStem = atLeast(this.formStem, id + 1);
      this.formStamp = atLeast(this.formStamp, id + 1);
      this.formLocal = atLeast(this.formLocal, id + 1);
      this.formStem[id] = stemId;
      this.formStamp[id] = 0;
    }
    return id;
  }
}

const formCaches = new Map<string, FormCache>();

function formCache(language: string, stemmer: CachedStemmer): FormCache {
  let m = formCaches.get(language);
  if (!m) {
    m = new FormCache(stemmer);
    formCaches.set(language, m);
  }
  return m;
}

function isHyphen(code: number): boolean {
  return code === 0x2d || code === 0x2010 || code === 0x2011;
}

/** Tells one tokenisation from another in FormCache.formStamp and stemStamp. */
let lastStamp = 0;

/** The words of an article and where they occur, built by PreparedArticle on first use. */
class Words {
  /** The distinct normalised words in order of first occurrence (FormCache.formLocal indexes it while tokenising). */
  readonly infos: NormInfo[] = [];
  count = 0;
  tokField: Uint8Array;
  tokStart: Uint32Array;
  tokEnd: Uint32Array;
  tokPos: Int32Array;
  tokEndPos: Int32Array;
  /** Per token, the next token of the same normalised word, or -1. */
  tokNext: Int32Array;
  /** wordIds of the distinct norms and stems, in the generation `idGeneration`. */
  normIdList: number[] = [];
  stemIdList: number[] = [];
  /** Prefix ids of the distinct norms long enough to have one (repeats possible). */
  prefixIdList: number[] = [];
  idGeneration = wordIds.generation;
  looseText = '';
  private readonly stamp = ++lastStamp;
  // Most articles select no rule, and only rules look words up by text: the maps are built then.
  private normMap: Map<string, NormInfo> | undefined;
  private stemMap: Map<string, StemInfo> | undefined;

  /**
   * The words of the texts (title, summary, content), tokenised here, or those a seed brought
   * with its tokens. `ids`: false where no rule index reads the ids (a sandbox thread making a seed).
   */
  constructor(source: readonly string[] | SeededWords, stemLanguage: string, stemmer: CachedStemmer, private readonly ids = true) {
    this.tokField = new Uint8Array(0);
    this.tokStart = this.tokEnd = new Uint32Array(0);
    this.tokPos = this.tokEndPos = this.tokNext = new Int32Array(0);
    if ('tokens' in source) {
      this.adopt(source);
      return;
    }
    this.allocate(Math.max(16, (source[0]!.length + source[1]!.length + source[2]!.length) >> 2));
    this.tokenize(source, stemLanguage, stemmer);
  }

  /** Takes a seed's words and tokens as they are (views of the buffer they came in). */
  private adopt({ lists, tokens, loose }: SeededWords): void {
    const { buffer, offset, count: n, distinct } = tokens;
    const ints = (i: number, length = n) => new Int32Array(buffer, offset + i * 4 * n, length);
    this.count = n;
    this.tokStart = new Uint32Array(buffer, offset, n);
    this.tokEnd = new Uint32Array(buffer, offset + 4 * n, n);
    this.tokPos = ints(2);
    this.tokEndPos = ints(3);
    this.tokNext = ints(4);
    const info = ints(5, 4 * distinct);
    this.tokField = new Uint8Array(buffer, offset + 4 * (5 * n + 4 * distinct), n);
    for (let i = 0; i < distinct; i++) {
      const norm = new NormInfo(this, lists.texts[i]!, lists.stemTexts[i]!, info[4 * i]!, info[4 * i + 3]!);
      norm.last = info[4 * i + 1]!;
      norm.count = info[4 * i + 2]!;
      this.infos.push(norm);
    }
    this.normIdList = lists.norms;
    this.stemIdList = lists.stems;
    this.prefixIdList = lists.prefixes;
    this.idGeneration = lists.generation;
    this.looseText = loose;
  }

  /** Bytes (a multiple of 4) that writeTokens takes. */
  get tokenBytes(): number {
    return 4 * (5 * this.count + 4 * this.infos.length) + ((this.count + 3) & ~3);
  }

  /** Writes the tokens and words as SeedTokens describes, at `offset` of `buffer`. */
  writeTokens(buffer: ArrayBuffer, offset: number): SeedTokens {
    const n = this.count;
    const distinct = this.infos.length;
    const ints = new Int32Array(buffer, offset, 5 * n + 4 * distinct);
    ints.set(new Int32Array(this.tokStart.buffer, this.tokStart.byteOffset, n), 0);
    ints.set(new Int32Array(this.tokEnd.buffer, this.tokEnd.byteOffset, n), n);
    ints.set(this.tokPos.subarray(0, n), 2 * n);
    ints.set(this.tokEndPos.subarray(0, n), 3 * n);
    ints.set(this.tokNext.subarray(0, n), 4 * n);
    for (let i = 0, at = 5 * n; i < distinct; i++, at += 4) {
      const info = this.infos[i]!;
      ints[at] = info.first;
      ints[at + 1] = info.last;
      ints[at + 2] = info.count;
      ints[at + 3] = info.fields;
    }
    new Uint8Array(buffer, offset + 4 * (5 * n + 4 * distinct), n).set(this.tokField.subarray(0, n));
    return { buffer, offset, count: n, distinct };
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
        if (s === undefined) {
          map.set(info.stem, { norms: [info], fields: info.fields });
        } else {
          s.norms.push(info);
          s.fields |= info.fields;
        }
      }
      this.stemMap = map;
    }
    return this.stemMap;
  }

  /**
   * (Re)allocates the token arrays for `cap` tokens, keeping the tokens so far: views of one
   * buffer, because each typed array of its own costs an allocation outside the heap.
   */
  private allocate(cap: number): void {
    const buffer = new ArrayBuffer(cap * 21);
    const view = <T extends Uint8Array | Uint32Array | Int32Array>(make: new (b: ArrayBuffer, at: number, n: number) => T, at: number, old: T): T => {
      const a = new make(buffer, at, cap);
      a.set(old.subarray(0, this.count));
      return a;
    };
    this.tokStart = view(Uint32Array, 0, this.tokStart);
    this.tokEnd = view(Uint32Array, cap * 4, this.tokEnd);
    this.tokPos = view(Int32Array, cap * 8, this.tokPos);
    this.tokEndPos = view(Int32Array, cap * 12, this.tokEndPos);
    this.tokNext = view(Int32Array, cap * 16, this.tokNext);
    this.tokField = view(Uint8Array, cap * 20, this.tokField);
  }

  /** Adds a token of the form `formId`. */
  private add(cache: FormCache, formId: number, stemLanguage: string, field: number, start: number, end: number, pos: number, endPos: number): void {
    const t = this.count;
    if (t === this.tokField.length) this.allocate(t * 2);
    this.tokField[t] = field;
    this.tokStart[t] = start;
    this.tokEnd[t] = end;
    this.tokPos[t] = pos;
    this.tokEndPos[t] = endPos;
    this.tokNext[t] = -1;
    this.count = t + 1;
    if (cache.formStamp[formId] === this.stamp) {
      const info = this.infos[cache.formLocal[formId]!]!;
      this.tokNext[info.last] = t;
      info.last = t;
      info.count++;
      info.fields |= field;
      return;
    }
    cache.formStamp[formId] = this.stamp;
    cache.formLocal[formId] = this.infos.length;
    if (!this.ids) {
      const form = cache.forms[formId]!;
      this.infos.push(new NormInfo(this, form.norm, form.stem, t, field));
      return;
    }
    const form = withIds(cache.forms[formId]!, stemLanguage, this.idGeneration);
    const info = new NormInfo(this, form.norm, form.stem, t, field);
    this.infos.push(info);
    this.normIdList.push(form.normId);
    if (form.prefixId >= 0) this.prefixIdList.push(form.prefixId);
    const stem = cache.formStem[formId]!;
    if (cache.stemStamp[stem] !== this.stamp) {
      cache.stemStamp[stem] = this.stamp;
      this.stemIdList.push(form.stemId);
    }
  }

  private tokenize(texts: readonly string[], stemLanguage: string, stemmer: CachedStemmer): void {
    const cache = formCache(stemLanguage, stemmer);
    cache.trim();
    const loose: string[] = [];
    // Hyphen group in progress: its parts' forms (group[0 … parts - 1]), first start and position.
    const group: number[] = [];
    let parts = 0;
    let pos = 0;
    for (let f = 0; f < 3; f++) {
      const text = texts[f]!;
      if (text === '') continue;
      const field = 1 << f;
      let groupStart = 0;
      let groupPos = 0;
      let prevEnd = -2;
      let prevPossessive = false;
      const flush = () => {
        if (parts > 1) {
          let joined = '';
          for (let i = 0; i < parts; i++) joined += cache.forms[group[i]!]!.norm;
          this.add(cache, cache.form(joined), stemLanguage, field, groupStart, prevEnd, groupPos, pos - 1);
        }
        parts = 0;
      };
      segmentWords(text, (s, e) => {
        const raw = cache.raw(text, s, e);
        const formId = cache.rawForm[raw]!;
        // A possessive ("Russia's") ends two characters before the word does.
        const cut = cache.rawPossessive[raw]!;
        const possessive = cut > 0;
        const end = e - cut;
        if (!(s === prevEnd + 1 && !prevPossessive && isHyphen(text.charCodeAt(prevEnd)) && parts > 0)) {
          flush();
          groupStart = s;
          groupPos = pos;
        }
        group[parts++] = formId;
        this.add(cache, formId, stemLanguage, field, s, end, pos, pos);
        pos++;
        prevEnd = end;
        prevPossessive = possessive;
      }, (s, e) => loose.push(text.slice(s, e)));
      flush();
      pos += FIELD_GAP;
    }
    if (loose.length > 0) this.looseText = literalHaystack(loose);
  }
}

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
  /** A sandbox thread's seed of these very texts (word-seed.ts), read until the words are prepared. */
  private readonly seed: AttachedWordSeed | undefined;
  private normList: readonly string[] | undefined;
  private seedIds: SeedLists | undefined;

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
    this.seed = seedFor(input, this.texts, this.stemLanguage);
  }

  /** Whether the words have been prepared (only a rule that looks at words asks for them). */
  get wordsPrepared(): boolean {
    return this.prepared !== undefined;
  }

  /** The words, segmented and indexed (or taken from the seed) the first time anything asks for them. */
  private get words(): Words {
    return (this.prepared ??= this.seededWords() ?? new Words(this.texts, this.stemLanguage, this.stemmer));
  }

  /** Words from a seed that brought its tokens. */
  private seededWords(): Words | undefined {
    const tokens = this.seed?.tokens;
    if (tokens === undefined) return undefined;
    const lists = this.seedLists();
    if (lists.texts.length !== tokens.distinct) return undefined;
    return new Words({ lists, tokens, loose: this.seed!.loose }, this.stemLanguage, this.stemmer);
  }

  /** The distinct normalised words in order of first occurrence (that of wordIdLists().norms). */
  get distinct(): readonly NormInfo[] {
    return this.words.infos;
  }

  /**
   * The distinct normalised words as text, in the order of wordIdLists().norms: from the seed
   * while the words are not prepared (the rule index's candidate selection reads only these).
   */
  get distinctNorms(): readonly string[] {
    if (this.prepared === undefined && this.seed !== undefined) return this.seedLists().texts;
    return (this.normList ??= this.words.infos.map((n) => n.norm));
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
   * regex literals (see segmentWords); "" for nearly every article.
   */
  get looseText(): string {
    if (this.prepared === undefined && this.seed !== undefined) return this.seed.loose;
    return this.words.looseText;
  }

  /**
   * wordIds of the article's distinct norms, stems and prefixes, for the rule index. Asked for
   * again when the ids have moved to a new generation since the article was prepared.
   */
  wordIdLists(): IdLists {
    if (this.prepared === undefined && this.seed !== undefined) return this.seedLists();
    const w = this.words;
    if (w.idGeneration !== wordIds.generation) {
      w.idGeneration = wordIds.generation;
      w.normIdList = w.infos.map((n) => wordIds.norm(n.norm));
      w.stemIdList = [...w.stems.keys()].map((s) => wordIds.stem(this.stemLanguage, s));
      w.prefixIdList = w.infos.map((n) => prefixIdOf(n.norm)).filter((id) => id >= 0);
    }
    return { norms: w.normIdList, stems: w.stemIdList, prefixes: w.prefixIdList };
  }

  /** The seed's words and their ids, in the current generation of ids. */
  private seedLists(): SeedLists {
    if (this.seedIds?.generation !== wordIds.generation) this.seedIds = seedIdLists(this.seed!.norms, this.stemLanguage, this.stemmer);
    return this.seedIds;
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

/** wordIds of an article's distinct norms, stems and prefixes (see PreparedArticle.wordIdLists). */
interface IdLists {
  norms: readonly number[];
  stems: readonly number[];
  prefixes: readonly number[];
}

/** A seed's ids, and its norms and their stems as text (the forms' own strings), in the generation `generation`. */
interface SeedLists extends IdLists {
  norms: number[];
  stems: number[];
  prefixes: number[];
  texts: readonly string[];
  stemTexts: readonly string[];
  generation: number;
}

/** What Words takes from a seed that brought its tokens. */
interface SeededWords {
  lists: SeedLists;
  tokens: SeedTokens;
  loose: string;
}

/**
 * The ids of a seed's words, as Words would give them for the text they came from: norms in
 * order, stems and prefixes in the order their first norm comes. Each norm's ids come from the
 * form cache, so a word met before costs one look-up.
 */
function seedIdLists(joined: string, stemLanguage: string, stemmer: CachedStemmer): SeedLists {
  const cache = formCache(stemLanguage, stemmer);
  cache.trim();
  const stamp = ++lastStamp;
  const generation = wordIds.generation;
  const norms: number[] = [];
  const stems: number[] = [];
  const prefixes: number[] = [];
  const texts: string[] = [];
  const stemTexts: string[] = [];
  // Each norm is looked up where it stands in the joined text: no substring for a known word.
  for (let start = 0; start < joined.length; ) {
    let end = joined.indexOf('\n', start);
    if (end < 0) end = joined.length;
    const formId = cache.formOf(joined, start, end);
    const form = withIds(cache.forms[formId]!, stemLanguage, generation);
    norms.push(form.normId);
    texts.push(form.norm);
    stemTexts.push(form.stem);
    if (form.prefixId >= 0) prefixes.push(form.prefixId);
    const stem = cache.formStem[formId]!;
    if (cache.stemStamp[stem] !== stamp) {
      cache.stemStamp[stem] = stamp;
      stems.push(form.stemId);
    }
    start = end + 1;
  }
  return { norms, stems, prefixes, texts, stemTexts, generation };
}

/**
 * Articles' word seeds (word-seed.ts), made where no rule index is (a sandbox thread): their
 * words as PreparedArticle would find them, with their tokens in one buffer for all (one copy
 * to the main thread). Undefined for an article in the unlikely case a word is empty or holds
 * the separator.
 */
export function wordSeedsOf(sources: readonly SeedSource[]): (WordSeed | undefined)[] {
  const made = sources.map((source) => {
    const language = stemLanguage(source.language);
    const words = new Words([source.title ?? '', source.summary ?? '', source.content ?? ''], language, stemmerFor(language), false);
    return { language, words, norms: joinedNorms(words) };
  });
  let bytes = 0;
  for (const { words, norms } of made) if (norms !== undefined) bytes += words.tokenBytes;
  const buffer = new ArrayBuffer(bytes);
  let offset = 0;
  return made.map(({ language, words, norms }) => {
    if (norms === undefined) return undefined;
    const tokens = words.writeTokens(buffer, offset);
    offset += words.tokenBytes;
    return { stemLanguage: language, norms, loose: words.looseText, tokens };
  });
}

/** One article's word seed (see wordSeedsOf). */
export function wordSeedOf(source: SeedSource): WordSeed | undefined {
  return wordSeedsOf([source])[0];
}

/** The distinct norms joined by "\n", or undefined when one is empty or holds "\n". */
function joinedNorms(words: Words): string | undefined {
  const norms: string[] = [];
  for (const info of words.infos) {
    // "" would be lost between separators (a word of marks alone folds to it): no seed then.
    if (info.norm === '' || info.norm.includes('\n')) return undefined;
    norms.push(info.norm);
  }
  return norms.join('\n');
}

/** Prepares an article once; pass the result to RuleIndex.match or evaluateRule many times. */
export function prepareArticle(input: MatchInput): PreparedArticle {
  wordIds.trim();
  return new PreparedArticle(input);
}
