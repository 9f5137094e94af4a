// Prepares an article once for any number of rules: segments title, summary and content into
// words (segment.ts), normalises and stems each (cached per raw word), adds the joined form of
// hyphenated words ("cease-fire" → also "ceasefire"), and indexes words and stems to positions.
// The words are prepared on first use: rules that only look at metadata (`feed:`, `lang:`,
// `site:`, `url:`) on an index small enough to evaluate every rule never need them.
import { PREFIX_KEY_LENGTH } from './required.js';
import { type MatchInput } from './types.js';
import { fold, literalHaystack, normalizeWord, possessiveLength } from './normalize.js';
import { segmentWords } from './segment.js';
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

/** A distinct normalised word of the article and where it occurs. */
export interface NormInfo {
  norm: string;
  stem: string;
  /** Token indices, ascending (so also by position). */
  toks: number[];
  /** Bit set of the fields it occurs in. */
  fields: number;
}

export interface StemInfo {
  norms: NormInfo[];
  fields: number;
}

interface WordForm {
  norm: string;
  stem: string;
  /** Length of a possessive suffix cut from the raw word ("'s"), else 0. */
  possessive: number;
  /** wordIds of norm and stem, valid while wordIds.generation is `generation`. */
  normId: number;
  stemId: number;
  /** Id of the norm's first PREFIX_KEY_LENGTH characters; -1 when the norm is shorter. */
  prefixId: number;
  generation: number;
}

const prefixIdOf = (norm: string) => (norm.length >= PREFIX_KEY_LENGTH ? wordIds.prefix(norm.slice(0, PREFIX_KEY_LENGTH)) : -1);

const MAX_FORMS = 200_000;
const formCaches = new Map<string, Map<string, WordForm>>();

function formCache(language: string): Map<string, WordForm> {
  let m = formCaches.get(language);
  if (!m) {
    m = new Map();
    formCaches.set(language, m);
  }
  return m;
}

function isHyphen(code: number): boolean {
  return code === 0x2d || code === 0x2010 || code === 0x2011;
}

/** The words of an article and where they occur, built by PreparedArticle on first use. */
class Words {
  readonly norms = new Map<string, NormInfo>();
  readonly stems = new Map<string, StemInfo>();
  count = 0;
  tokField: Uint8Array;
  tokStart: Uint32Array;
  tokEnd: Uint32Array;
  tokPos: Int32Array;
  tokEndPos: Int32Array;
  /** wordIds of the distinct norms and stems, in the generation `idGeneration`. */
  normIdList: number[] = [];
  stemIdList: number[] = [];
  /** Prefix ids of the distinct norms long enough to have one (repeats possible). */
  prefixIdList: number[] = [];
  idGeneration = wordIds.generation;
  looseText = '';

  constructor(texts: readonly string[], stemLanguage: string, stemmer: CachedStemmer) {
    const cap = Math.max(16, (texts[0]!.length + texts[1]!.length + texts[2]!.length) >> 2);
    this.tokField = new Uint8Array(cap);
    this.tokStart = new Uint32Array(cap);
    this.tokEnd = new Uint32Array(cap);
    this.tokPos = new Int32Array(cap);
    this.tokEndPos = new Int32Array(cap);
    this.tokenize(texts, stemLanguage, stemmer);
  }

  private grow(): void {
    const cap = this.tokField.length * 2;
    const g = <T extends Uint8Array | Uint32Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.tokField = g(this.tokField, (n) => new Uint8Array(n));
    this.tokStart = g(this.tokStart, (n) => new Uint32Array(n));
    this.tokEnd = g(this.tokEnd, (n) => new Uint32Array(n));
    this.tokPos = g(this.tokPos, (n) => new Int32Array(n));
    this.tokEndPos = g(this.tokEndPos, (n) => new Int32Array(n));
  }

  private add(norm: string, stem: string, field: number, start: number, end: number, pos: number, endPos: number, normId: number, stemId: number, prefixId: number): void {
    const t = this.count;
    if (t === this.tokField.length) this.grow();
    this.tokField[t] = field;
    this.tokStart[t] = start;
    this.tokEnd[t] = end;
    this.tokPos[t] = pos;
    this.tokEndPos[t] = endPos;
    this.count = t + 1;
    let info = this.norms.get(norm);
    if (info === undefined) {
      info = { norm, stem, toks: [t], fields: field };
      this.norms.set(norm, info);
      this.normIdList.push(normId);
      if (prefixId >= 0) this.prefixIdList.push(prefixId);
      const s = this.stems.get(stem);
      if (s === undefined) {
        this.stems.set(stem, { norms: [info], fields: field });
        this.stemIdList.push(stemId);
      } else {
        s.norms.push(info);
        s.fields |= field;
      }
    } else {
      info.toks.push(t);
      if ((info.fields & field) === 0) {
        info.fields |= field;
        this.stems.get(stem)!.fields |= field;
      }
    }
  }

  private tokenize(texts: readonly string[], stemLanguage: string, stemmer: CachedStemmer): void {
    const cache = formCache(stemLanguage);
    const generation = this.idGeneration;
    const loose: string[] = [];
    let pos = 0;
    for (let f = 0; f < 3; f++) {
      const text = texts[f]!;
      if (text === '') continue;
      const field = 1 << f;
      // Hyphen group in progress: the parts' norms, first start and position.
      let groupNorms: string[] = [];
      let groupStart = 0;
      let groupPos = 0;
      let prevEnd = -2;
      let prevPossessive = false;
      const flush = () => {
        if (groupNorms.length > 1) {
          const joined = groupNorms.join('');
          const stem = stemmer.stem(joined);
          this.add(joined, stem, field, groupStart, prevEnd, groupPos, pos - 1, wordIds.norm(joined), wordIds.stem(stemLanguage, stem), prefixIdOf(joined));
        }
        groupNorms = [];
      };
      segmentWords(text, (s, e) => {
        const raw = text.slice(s, e);
        let form = cache.get(raw);
        if (form === undefined) {
          const norm = normalizeWord(raw);
          form = { norm, stem: stemmer.stem(norm), possessive: possessiveLength(raw), normId: 0, stemId: 0, prefixId: -1, generation: -1 };
          if (cache.size >= MAX_FORMS) cache.clear();
          cache.set(raw, form);
        }
        if (form.generation !== generation) {
          form.normId = wordIds.norm(form.norm);
          form.stemId = wordIds.stem(stemLanguage, form.stem);
          form.prefixId = prefixIdOf(form.norm);
          form.generation = generation;
        }
        // A possessive ("Russia's") ends two characters before the word does.
        const possessive = form.possessive > 0;
        const end = e - form.possessive;
        if (!(s === prevEnd + 1 && !prevPossessive && isHyphen(text.charCodeAt(prevEnd)) && groupNorms.length > 0)) {
          flush();
          groupStart = s;
          groupPos = pos;
        }
        groupNorms.push(form.norm);
        this.add(form.norm, form.stem, field, s, end, pos, pos, form.normId, form.stemId, form.prefixId);
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
    return this.words.looseText;
  }

  /**
   * wordIds of the article's distinct norms, stems and prefixes, for the rule index. Asked for
   * again when the ids have moved to a new generation since the article was prepared.
   */
  wordIdLists(): { norms: readonly number[]; stems: readonly number[]; prefixes: readonly number[] } {
    const w = this.words;
    if (w.idGeneration !== wordIds.generation) {
      w.idGeneration = wordIds.generation;
      w.normIdList = [...w.norms.keys()].map((n) => wordIds.norm(n));
      w.stemIdList = [...w.stems.keys()].map((s) => wordIds.stem(this.stemLanguage, s));
      w.prefixIdList = [...w.norms.keys()].map(prefixIdOf).filter((id) => id >= 0);
    }
    return { norms: w.normIdList, stems: w.stemIdList, prefixes: w.prefixIdList };
  }

  /** Fields (bit set) in which some word starts with `prefix`; 0 when none. */
  prefixFields(prefix: string): number {
    // A few look-ups scan the words; many sort them once and search.
    if (this.sortedNorms === undefined && ++this.prefixScans <= PREFIX_SCANS) {
      let fields = 0;
      for (const n of this.norms.values()) if (n.norm.startsWith(prefix)) fields |= n.fields;
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
      for (const n of this.norms.values()) if (n.norm.startsWith(prefix)) found.push(n);
      return found.sort((a, b) => a.toks[0]! - b.toks[0]!);
    }
    const sorted = (this.sortedNorms ??= [...this.norms.values()].sort((a, b) => (a.norm < b.norm ? -1 : a.norm > b.norm ? 1 : 0)));
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
