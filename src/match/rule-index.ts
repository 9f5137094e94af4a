// The set of compiled watch rules an article is matched against. match() returns the rules
// that match, in the order the rules were given, each with its hits.
import { type PreparedArticle } from './prepare.js';
import { asPrepared, compileRule, explainRule, type CompiledRule } from './rule.js';
import { type MatchInput, type RuleMatch, type RuleSpec } from './types.js';

export class RuleIndex {
  private constructor(readonly rules: readonly CompiledRule[]) {}

  /** Compiles all rules; throws RuleCompileError for the first rule that does not parse. */
  static build(rules: RuleSpec[]): RuleIndex {
    return new RuleIndex(rules.map(compileRule));
  }

  get size(): number {
    return this.rules.length;
  }

  match(article: MatchInput | PreparedArticle): RuleMatch[] {
    const d = asPrepared(article);
    const out: RuleMatch[] = [];
    for (const r of this.rules) if (r.matcher.test(d)) out.push({ rule: r.id, hits: explainRule(r, d) });
    return out;
  }
}
