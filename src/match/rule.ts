// A watch rule compiled once: its query and its all/any/none lists parsed and combined with AND
// into one tree, and compiled into a matcher. evaluateRule runs one rule on a prepared article
// directly, without any index: the reference the rule index must agree with.
import { type QueryNode } from './ast.js';
import { compileQuery, sortHits, type Matcher } from './compile.js';
import { QuerySyntaxError, RuleCompileError, type RuleSource } from './errors.js';
import { parseQuery } from './parser.js';
import { prepareArticle, PreparedArticle } from './prepare.js';
import { type Hit, type MatchInput, type RuleMatch, type RuleSpec } from './types.js';

export interface CompiledRule {
  readonly id: string;
  /** The combined query tree (query AND all… AND (any…) AND NOT (none…)). */
  readonly tree: QueryNode;
  readonly matcher: Matcher;
}

function parseItem(spec: RuleSpec, source: RuleSource, query: string, itemIndex?: number): QueryNode {
  try {
    return parseQuery(query);
  } catch (e) {
    if (e instanceof QuerySyntaxError) throw new RuleCompileError(spec.id, source, itemIndex, e);
    throw e;
  }
}

function span(nodes: QueryNode[]): { start: number; end: number } {
  return { start: 0, end: Math.max(0, ...nodes.map((n) => n.end)) };
}

/** Parses and compiles a rule; throws RuleCompileError naming the rule and the bad query. */
export function compileRule(spec: RuleSpec): CompiledRule {
  const parts: QueryNode[] = [];
  if (spec.query !== undefined) parts.push(parseItem(spec, 'query', spec.query));
  (spec.all ?? []).forEach((q, i) => parts.push(parseItem(spec, 'all', q, i)));
  const any = (spec.any ?? []).map((q, i) => parseItem(spec, 'any', q, i));
  if (any.length === 1) parts.push(any[0]!);
  else if (any.length > 1) parts.push({ type: 'or', children: any, ...span(any) });
  const none = (spec.none ?? []).map((q, i) => parseItem(spec, 'none', q, i));
  for (const n of none) parts.push({ type: 'not', child: n, start: n.start, end: n.end });
  if (parts.length === 0) {
    throw new RuleCompileError(spec.id, 'query', undefined, new QuerySyntaxError('the rule has no query', 0, 0, 'give the rule a query:, or all:/any: lists'));
  }
  const tree: QueryNode = parts.length === 1 ? parts[0]! : { type: 'and', children: parts, ...span(parts) };
  return { id: spec.id, tree, matcher: compileQuery(tree) };
}

function asPrepared(article: MatchInput | PreparedArticle): PreparedArticle {
  return article instanceof PreparedArticle ? article : prepareArticle(article);
}

/** The hits of a rule known to match. */
export function explainRule(rule: CompiledRule, article: PreparedArticle): Hit[] {
  const hits: Hit[] = [];
  rule.matcher.explain(article, hits);
  return sortHits(hits);
}

/** Evaluates one compiled rule directly (no index); null when it does not match. */
export function evaluateRule(rule: CompiledRule, article: MatchInput | PreparedArticle): RuleMatch | null {
  const d = asPrepared(article);
  if (!rule.matcher.test(d)) return null;
  return { rule: rule.id, hits: explainRule(rule, d) };
}

/** True when the rule matches; no explanation computed. */
export function testRule(rule: CompiledRule, article: MatchInput | PreparedArticle): boolean {
  return rule.matcher.test(asPrepared(article));
}

export { asPrepared };
