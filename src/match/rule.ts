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

/** One query string of a rule as it joins the combined tree (any: lists become one OR part). */
interface RulePart {
  /** Where it came from: `query`, `all[0]`, `any`, `none[1]`. */
  label: string;
  /** The query text the part's offsets point into. */
  text: string;
  node: QueryNode;
}

function ruleParts(spec: RuleSpec): RulePart[] {
  const parts: RulePart[] = [];
  if (spec.query !== undefined) parts.push({ label: 'query', text: spec.query, node: parseItem(spec, 'query', spec.query) });
  (spec.all ?? []).forEach((q, i) => parts.push({ label: `all[${i}]`, text: q, node: parseItem(spec, 'all', q, i) }));
  const any = (spec.any ?? []).map((q, i) => parseItem(spec, 'any', q, i));
  if (any.length === 1) parts.push({ label: 'any', text: spec.any![0]!, node: any[0]! });
  else if (any.length > 1) parts.push({ label: 'any', text: spec.any!.map((q) => `(${q})`).join(' OR '), node: { type: 'or', children: any, ...span(any) } });
  (spec.none ?? []).forEach((q, i) => {
    const n = parseItem(spec, 'none', q, i);
    parts.push({ label: `none[${i}]`, text: q, node: { type: 'not', child: n, start: n.start, end: n.end } });
  });
  return parts;
}

/** Parses and compiles a rule; throws RuleCompileError naming the rule and the bad query. */
export function compileRule(spec: RuleSpec): CompiledRule {
  const parts = ruleParts(spec).map((p) => p.node);
  if (parts.length === 0) {
    throw new RuleCompileError(spec.id, 'query', undefined, new QuerySyntaxError('the rule has no query', 0, 0, 'give the rule a query:, or all:/any: lists'));
  }
  const tree: QueryNode = parts.length === 1 ? parts[0]! : { type: 'and', children: parts, ...span(parts) };
  return { id: spec.id, tree, matcher: compileQuery(tree) };
}

/** A conjunct of a rule that an article fails. */
export interface UnmetClause {
  /** The rule's query string it belongs to: `query`, `all[0]`, `any`, `none[1]`. */
  part: string;
  /** The conjunct as written (`(ceasefire OR truce)`, `-football`). */
  clause: string;
  /** `missing`: the article lacks it; `excluded`: a NOT (or none:) found what it forbids. */
  kind: 'missing' | 'excluded';
}

/**
 * Why an article does not match a rule: the top-level conjuncts of each of its query strings
 * that fail, as written. Empty when the rule matches.
 */
export function unmetClauses(spec: RuleSpec, article: MatchInput | PreparedArticle): UnmetClause[] {
  const d = asPrepared(article);
  const unmet: UnmetClause[] = [];
  for (const part of ruleParts(spec)) {
    const conjuncts = part.node.type === 'and' && !part.label.startsWith('none') ? part.node.children : [part.node];
    for (const node of conjuncts) {
      if (compileQuery(node).test(d)) continue;
      const whole = node === part.node;
      const clause = whole ? part.text : part.text.slice(node.start, node.end);
      unmet.push({ part: part.label, clause: clause.trim(), kind: node.type === 'not' ? 'excluded' : 'missing' });
    }
  }
  return unmet;
}

function asPrepared(article: MatchInput | PreparedArticle): PreparedArticle {
  return article instanceof PreparedArticle ? article : prepareArticle(article);
}

/** The hits of a rule known to match. */
export function explainRule(rule: Pick<CompiledRule, 'matcher'>, article: PreparedArticle): Hit[] {
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
