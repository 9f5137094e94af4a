// Required-term extraction for the rule index (the idea of Lucene's Monitor presearcher): from a
// query, a set of keys such that every article the query matches contains at least one of them.
// null means no such set exists (pure NOT, regex, url:), and the rule is checked on every article.
import { type QueryNode, type Unit } from './ast.js';

/** Something an article can contain; see articleKeys in rule-index.ts for the article side. */
export type Key =
  | { kind: 'stem'; word: string } // a stemmed query word; the stem depends on the article language
  | { kind: 'norm'; word: string } // an exact normalised word
  | { kind: 'prefix'; prefix: string } // a word prefix, truncated to PREFIX_KEY_LENGTH
  | { kind: 'meta'; key: string }; // "feed:x", "lang:en", "site:bbc.co.uk"

export interface Required {
  keys: Key[];
  /** Estimated share of articles that hold at least one key (lower is more selective). */
  cost: number;
}

/** Prefix keys are cut to this length; longer prefixes are checked when the rule is evaluated. */
export const PREFIX_KEY_LENGTH = 5;

// Words in most English news articles: a rule that needs one of them is a candidate almost always.
const COMMON = new Set(
  `a about after again against all also an and any are as at be because been before being but by can
  could did do does during each even first for from had has have he her here him his how i if in into
  is it its just last like made make many may more most much must my new no not now of on one only or
  other our out over said same say says see she should since so some such than that the their them then
  there these they this those through time to too two under up us very was we were what when where which
  while who will with would year years you your people government told week day new state officials
  according including president country world news report minister police city percent million`.split(/\s+/),
);

/** Rough share of articles containing a word: common words high, short words higher than long ones. */
export function wordCost(word: string): number {
  if (COMMON.has(word)) return 0.9;
  if (word.length <= 2) return 0.5;
  if (word.length <= 4) return 0.2;
  return Math.max(0.02, 0.3 / word.length);
}

function keyCost(k: Key): number {
  switch (k.kind) {
    case 'stem':
    case 'norm':
      return wordCost(k.word);
    case 'prefix':
      return Math.min(0.9, 2 / (k.prefix.length + 1) ** 2 + 0.05);
    case 'meta':
      return k.key.startsWith('lang:') ? 0.9 : 0.1;
  }
}

function of(keys: Key[]): Required {
  return { keys, cost: Math.min(1, keys.reduce((s, k) => s + keyCost(k), 0)) };
}

/** Keys of one unit: any part (all parts must be present) or the joined form. */
function unitKeys(u: Unit, stemmed: boolean): Key[] {
  const kind = stemmed ? 'stem' : 'norm';
  const part = u.parts.reduce((best, p) => (wordCost(p) < wordCost(best) ? p : best));
  return u.joined ? [{ kind, word: part }, { kind, word: u.joined }] : [{ kind, word: part }];
}

function cheapest(options: Required[]): Required | null {
  let best: Required | null = null;
  for (const o of options) if (!best || o.cost < best.cost) best = o;
  return best;
}

/** The required keys of a query, or null when it can match an article without any key. */
export function requiredKeys(node: QueryNode): Required | null {
  switch (node.type) {
    case 'term':
    case 'phrase':
      return cheapest(node.units.map((u) => of(unitKeys(u, node.type === 'term'))));
    case 'prefix':
      return of([{ kind: 'prefix', prefix: node.prefix.slice(0, PREFIX_KEY_LENGTH) }]);
    case 'meta':
      if (node.field === 'url') return null;
      return of([{ kind: 'meta', key: `${node.field}:${node.value}` }]);
    case 'regex':
    case 'not':
      return null;
    case 'field':
      return requiredKeys(node.child);
    case 'and':
    case 'near': {
      const reqs: Required[] = [];
      for (const c of node.children) {
        const r = requiredKeys(c);
        if (r) reqs.push(r);
      }
      return cheapest(reqs);
    }
    case 'or': {
      const keys: Key[] = [];
      for (const c of node.children) {
        const r = requiredKeys(c);
        if (!r) return null;
        keys.push(...r.keys);
      }
      return of(keys);
    }
  }
}
