// Required-term extraction for the rule index (the idea of Lucene's Monitor presearcher): from a
// query, conjuncts — sets of keys such that every article the query matches contains at least one
// key of every set. No conjunct means the query can match without any key (pure NOT, regex, url:)
// and the rule is checked on every article. Costs (share of articles holding a key) pick the
// most selective sets: measured word frequencies when given, else a guess from common words.
import { type QueryNode, type Unit } from './ast.js';
import { type PreparedArticle } from './prepare.js';
import { regexLiterals } from './regex-literals.js';
import { stemmerFor } from './stem.js';

/** Something an article can contain; see RuleIndex.candidates for the article side. */
export type Key =
  | { kind: 'stem'; word: string } // a stemmed query word; the stem depends on the article language
  | { kind: 'norm'; word: string } // an exact normalised word
  | { kind: 'prefix'; prefix: string } // a word prefix, truncated to PREFIX_KEY_LENGTH
  | { kind: 'meta'; key: string } // "feed:x", "lang:en", "site:bbc.co.uk"
  | { kind: 'literal'; text: string }; // lower-case ASCII text a regex match must contain

/** A disjunction of keys with its estimated cost (share of articles with at least one). */
export interface Required {
  keys: Key[];
  cost: number;
}

/** Prefix keys are cut to this length; longer prefixes are checked when the rule is evaluated. */
export const PREFIX_KEY_LENGTH = 4;

// Words in most English news articles: a rule that needs one of them is a candidate almost always.
const COMMON = new Set(
  `a about after again against all also an and any are as at be because been before being but by can
  could did do does during each even first for from had has have he her here him his how i if in into
  is it its just last like made make many may more most much must my new no not now of on one only or
  other our out over said same say says see she should since so some such than that the their them then
  there these they this those through time to too two under up us very was we were what when where which
  while who will with would year years you your people government told week day state officials
  according including president country world news report minister police city percent million`.split(/\s+/),
);

/**
 * Share of articles that contain a word, measured on sample articles (wordFrequencies). Words
 * are compared by English stem, so "talks" and "talk" share one figure.
 */
export class WordFrequencies {
  private constructor(
    private readonly shares: Map<string, number>,
    /** Share given to a word never seen in the sample. */
    private readonly unseen: number,
  ) {}

  static measure(articles: readonly PreparedArticle[]): WordFrequencies {
    const counts = new Map<string, number>();
    const english = stemmerFor('english');
    for (const a of articles) {
      const stems = a.stemLanguage === 'english' ? a.stems.keys() : new Set([...a.norms.keys()].map((n) => english.stem(n))).values();
      for (const s of stems) counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    const n = Math.max(1, articles.length);
    const shares = new Map<string, number>();
    for (const [s, c] of counts) shares.set(s, c / n);
    return new WordFrequencies(shares, 0.5 / n);
  }

  share(word: string): number {
    return this.shares.get(stemmerFor('english').stem(word)) ?? this.unseen;
  }
}

/** Rough share of articles containing a word: common words high, short words higher than long. */
export function guessWordShare(word: string): number {
  if (COMMON.has(word)) return 0.9;
  if (word.length <= 2) return 0.5;
  if (word.length <= 4) return 0.2;
  return Math.max(0.02, 0.3 / word.length);
}

export type WordShare = (word: string) => number;

function keyCost(k: Key, share: WordShare): number {
  switch (k.kind) {
    case 'stem':
    case 'norm':
      return share(k.word);
    case 'prefix':
      return Math.min(0.9, 2 / (k.prefix.length + 1) ** 2 + 0.05);
    case 'meta':
      return k.key.startsWith('lang:') ? 0.9 : 0.1;
    case 'literal':
      return 0.3;
  }
}

class Planner {
  constructor(private readonly share: WordShare) {}

  private of(keys: Key[]): Required {
    return { keys, cost: Math.min(1, keys.reduce((s, k) => s + keyCost(k, this.share), 0)) };
  }

  /** Keys of one unit: its rarest part (all parts must be present) or the joined form. */
  private unit(u: Unit, stemmed: boolean): Required {
    const kind = stemmed ? 'stem' : 'norm';
    const part = u.parts.reduce((best, p) => (this.share(p) < this.share(best) ? p : best));
    return this.of(u.joined ? [{ kind, word: part }, { kind, word: u.joined }] : [{ kind, word: part }]);
  }

  /** Every key set the node requires (all must hold), cheapest first; [] when none. */
  conjuncts(node: QueryNode): Required[] {
    switch (node.type) {
      case 'term':
      case 'phrase':
        return node.units.map((u) => this.unit(u, node.type === 'term')).sort((a, b) => a.cost - b.cost);
      case 'prefix':
        // A prefix can fold to nothing ("\u0600*": a format character); it then needs no key.
        return node.prefix === '' ? [] : [this.of([{ kind: 'prefix', prefix: node.prefix.slice(0, PREFIX_KEY_LENGTH) }])];
      case 'meta':
        return node.field === 'url' ? [] : [this.of([{ kind: 'meta', key: `${node.field}:${node.value}` }])];
      case 'regex': {
        const texts = regexLiterals(node.source);
        return texts ? [this.of(texts.map((text) => ({ kind: 'literal', text })))] : [];
      }
      case 'not':
        return [];
      case 'field':
        return this.conjuncts(node.child);
      case 'and':
      case 'near':
        return node.children.flatMap((c) => this.conjuncts(c)).sort((a, b) => a.cost - b.cost);
      case 'or': {
        const keys: Key[] = [];
        for (const c of node.children) {
          const best = this.conjuncts(c)[0];
          if (!best) return [];
          keys.push(...best.keys);
        }
        return [this.of(keys)];
      }
    }
  }
}

/** The key sets a query requires, most selective first; [] when it needs none. */
export function requiredConjuncts(node: QueryNode, share: WordShare = guessWordShare): Required[] {
  return new Planner(share).conjuncts(node);
}
