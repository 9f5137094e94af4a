// The rule index: matches an article against many rules without evaluating every rule. Each rule
// is filed under its required keys (required.ts); an article's words, stems, prefixes and
// metadata select the candidate rules, which alone are evaluated, plus the rules that cannot be
// indexed (pure NOT, regex, url:). Results come in the order the rules were given.
import { type PreparedArticle } from './prepare.js';
import { requiredKeys, type Key } from './required.js';
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
  private readonly prefixes: Postings = new Map();
  /** Distinct prefix key lengths, ascending. */
  private readonly prefixLengths: number[];
  private readonly meta: Postings = new Map();
  /** Rules without required keys, ascending. */
  private readonly always: number[] = [];
  /** Per rule: the last match() that selected it (avoids clearing between articles). */
  private readonly seen: Uint32Array;
  private epoch = 0;

  private constructor(readonly rules: readonly CompiledRule[]) {
    this.seen = new Uint32Array(rules.length);
    const lengths = new Set<number>();
    rules.forEach((rule, i) => {
      const req = requiredKeys(rule.tree);
      if (!req) {
        this.always.push(i);
        return;
      }
      for (const k of req.keys) this.fileKey(k, i, lengths);
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
        return file(this.prefixes, k.prefix, rule);
      case 'meta':
        return file(this.meta, k.key, rule);
    }
  }

  /** Compiles all rules; throws RuleCompileError for the first rule that does not parse. */
  static build(rules: RuleSpec[]): RuleIndex {
    return new RuleIndex(rules.map(compileRule));
  }

  /** Indexes rules compiled earlier (compileRule), e.g. to reuse them across index rebuilds. */
  static fromCompiled(rules: readonly CompiledRule[]): RuleIndex {
    return new RuleIndex(rules);
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

  /** Indices of the rules to evaluate for an article, ascending. */
  candidates(d: PreparedArticle): { rules: number[]; selected: number } {
    const epoch = ++this.epoch;
    const seen = this.seen;
    const out: number[] = [];
    const take = (list: number[] | undefined) => {
      if (!list) return;
      for (const r of list) {
        if (seen[r] !== epoch) {
          seen[r] = epoch;
          out.push(r);
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
      for (const w of d.norms.keys()) {
        for (const len of this.prefixLengths) {
          if (len > w.length) break;
          take(this.prefixes.get(w.slice(0, len)));
        }
      }
    }
    if (this.meta.size > 0) {
      for (const f of d.feeds) take(this.meta.get(`feed:${f}`));
      if (d.langTag) {
        take(this.meta.get(`lang:${d.langTag}`));
        const primary = d.langTag.split('-')[0];
        if (primary !== d.langTag) take(this.meta.get(`lang:${primary}`));
      }
      for (let h = d.host; h; h = h.slice(h.indexOf('.') + 1 || h.length)) take(this.meta.get(`site:${h}`));
    }
    const selected = out.length;
    for (const r of this.always) take([r]);
    return { rules: out.length > 1 ? out.sort((a, b) => a - b) : out, selected };
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
