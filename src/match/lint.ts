// Warnings for queries that parse but are almost certainly not what the user meant: queries
// that match (nearly) every article, queries that can never match, and operators written in
// lower case between words (`ukraine or russia` searches for the word "or"). Warnings are
// advice; the rule still loads.
import { type QueryNode } from './ast.js';
import { compileQuery } from './compile.js';
import { parseQuery } from './parser.js';
import { prepareArticle } from './prepare.js';
import { UserRegex } from './regex.js';

/** The node without source positions, for comparing meaning. */
function canonical(node: QueryNode): string {
  return JSON.stringify(node, (k, v: unknown) => (k === 'start' || k === 'end' || k === 'text' ? undefined : v));
}

function contradictions(node: QueryNode, out: string[], src: string): void {
  switch (node.type) {
    case 'and': {
      const pos = new Map<string, QueryNode>();
      const neg = new Map<string, QueryNode>();
      const langs = new Set<string>();
      for (const c of node.children) {
        if (c.type === 'not') neg.set(canonical(c.child), c.child);
        else pos.set(canonical(c), c);
        if (c.type === 'meta' && c.field === 'lang' && !c.value.includes('-')) langs.add(c.value);
      }
      for (const [k, c] of neg) {
        if (pos.has(k)) out.push(`can match nothing: it requires ${src.slice(c.start, c.end)} and excludes it`);
      }
      if (langs.size > 1) out.push(`can match nothing: an article has one language, but it requires ${[...langs].map((l) => 'lang:' + l).join(' and ')}`);
      node.children.forEach((c) => contradictions(c, out, src));
      return;
    }
    case 'or': {
      const pos = new Set(node.children.filter((c) => c.type !== 'not').map(canonical));
      for (const c of node.children) {
        if (c.type === 'not' && pos.has(canonical(c.child))) out.push(`matches every article: ${src.slice(node.start, node.end)} is always true`);
      }
      node.children.forEach((c) => contradictions(c, out, src));
      return;
    }
    case 'not':
    case 'field':
      contradictions(node.child, out, src);
      return;
    case 'near':
      node.children.forEach((c) => contradictions(c, out, src));
      return;
    case 'regex':
      if (UserRegex.compile(node.source).test('')) out.push(`matches every article: the regular expression ${node.text} matches the empty text`);
      return;
    default:
      return;
  }
}

/** A warning, and the characters of the query it is about when it is about some. */
export interface QueryWarning {
  message: string;
  /** 0-based char offset into the query, and length. */
  offset?: number;
  length?: number;
}

const OPERATORS = ['and', 'or', 'not'];

/** `ukraine or russia`: a lower-case operator word between two terms (an implicit AND). */
function lowerCaseOperators(node: QueryNode, out: QueryWarning[]): void {
  if (node.type === 'and') {
    node.children.forEach((c, i) => {
      if (i === 0 || i === node.children.length - 1 || (c.type !== 'term' && c.type !== 'meta') || !OPERATORS.includes(c.text.toLowerCase())) return;
      const op = c.text.toUpperCase();
      const instead = op === 'NOT' ? 'NOT (or a "-" before the word)' : op;
      out.push({
        message: `"${c.text}" between words is searched for as a word, because operators are upper case: did you mean ${instead}? (to search for the word, quote it: "${c.text}")`,
        offset: c.start,
        length: c.end - c.start,
      });
    });
  }
  if ('children' in node) for (const c of node.children) lowerCaseOperators(c, out);
  else if ('child' in node) lowerCaseOperators(node.child, out);
}

const EMPTY = prepareArticle({ id: '' });

/** Warnings about a parsed query, with the position of those about some of its words. */
export function queryWarnings(tree: QueryNode, source: string): QueryWarning[] {
  const found: string[] = [];
  contradictions(tree, found, source);
  if (compileQuery(tree).test(EMPTY)) {
    found.push('matches almost every article: it matches even an empty article, because it only says what must not appear; add a word the articles must contain');
  }
  const out: QueryWarning[] = [...new Set(found)].map((message) => ({ message }));
  lowerCaseOperators(tree, out);
  return out;
}

/** Warnings about a parsed query (see lintQuery). */
export function lintTree(tree: QueryNode, source: string): string[] {
  return queryWarnings(tree, source).map((w) => w.message);
}

/** Warnings for a query that parses but is likely not what was meant (see the header). */
export function lintQuery(query: string): string[] {
  return lintTree(parseQuery(query), query);
}
