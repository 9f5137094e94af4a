// Public face of the matcher: the watch-rule query language (parseQuery, lintQuery), compiled
// rules (compileRule, evaluateRule), prepared articles (prepareArticle) and the RuleIndex that
// matches an article against many rules. Pure functions; no I/O.
export type { MatchInput, Hit, HitField, RuleMatch, RuleSpec } from './types.js';
export type { QueryNode, TextField, MetaField, FieldName, Unit } from './ast.js';
export { QuerySyntaxError, RuleCompileError, formatQueryError, type RuleSource } from './errors.js';
export { parseQuery } from './parser.js';
export { prepareArticle, PreparedArticle } from './prepare.js';
export { compileRule, evaluateRule, explainRule, testRule, unmetClauses, type CompiledRule, type UnmetClause } from './rule.js';
export { RuleIndex, type IndexedRule, type MatchStats, type RuleIndexOptions } from './rule-index.js';
export { WordFrequencies } from './required.js';
export { lintQuery, lintTree, queryWarnings, type QueryWarning } from './lint.js';
