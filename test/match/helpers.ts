// Small helpers for the matcher's specifications: does one query match one article, and where.
import { compileRule, evaluateRule, parseQuery, QuerySyntaxError, type Hit, type MatchInput } from '../../src/match/index.js';

export function article(fields: Partial<MatchInput> | string): MatchInput {
  return typeof fields === 'string' ? { id: 'a1', content: fields } : { id: 'a1', ...fields };
}

export function matches(query: string, a: Partial<MatchInput> | string): boolean {
  return evaluateRule(compileRule({ id: 'r', query }), article(a)) !== null;
}

/** The hits of a matching query as `field:text` strings, read back from the article. */
export function hitTexts(query: string, a: Partial<MatchInput> | string): string[] {
  const input = article(a);
  const m = evaluateRule(compileRule({ id: 'r', query }), input);
  if (!m) return [];
  return m.hits.map((h: Hit) => `${h.field}:${fieldText(input, h).slice(h.start, h.end)}`);
}

function fieldText(a: MatchInput, h: Hit): string {
  switch (h.field) {
    case 'site':
    case 'url':
      return a.url ?? '';
    case 'lang':
      return a.language ?? '';
    case 'feed':
      return a.feed ?? '';
    default:
      return a[h.field] ?? '';
  }
}

/** The syntax error a query is rejected with; fails the test when it parses. */
export function syntaxError(query: string): QuerySyntaxError {
  try {
    parseQuery(query);
  } catch (e) {
    if (e instanceof QuerySyntaxError) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(query)} to be rejected`);
}
