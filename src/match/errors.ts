// Errors of the query language. A QuerySyntaxError points at the offending characters of the
// query (0-based offset, length) and says how to fix it; RuleCompileError adds which rule and
// which of its query strings. formatQueryError draws the query with a caret under the problem.

export class QuerySyntaxError extends Error {
  override name = 'QuerySyntaxError';
  constructor(
    message: string,
    /** 0-based char offset into the query string. */
    readonly offset: number,
    /** Number of offending characters from `offset`, when known. */
    readonly length?: number,
    /** What to write instead. */
    readonly hint?: string,
  ) {
    super(message);
  }
}

export type RuleSource = 'query' | 'all' | 'any' | 'none';

export class RuleCompileError extends Error {
  override name = 'RuleCompileError';
  constructor(
    readonly ruleId: string,
    readonly source: RuleSource,
    readonly itemIndex: number | undefined,
    override readonly cause: QuerySyntaxError,
  ) {
    const where = itemIndex === undefined ? source : `${source}[${itemIndex}]`;
    super(`rule ${JSON.stringify(ruleId)}, ${where}: ${cause.message}`);
  }
}

/**
 * The error message, the query, a caret line under the offending columns and the hint:
 *
 *     unbalanced parenthesis: "(" is never closed
 *       (ukraine OR russia ceasefire
 *       ^
 *       hint: add ")" where the group ends
 */
export function formatQueryError(query: string, err: QuerySyntaxError, indent = '  '): string {
  // Show the line of a multi-line query that holds the offset.
  const lineStart = err.offset === 0 ? 0 : query.lastIndexOf('\n', err.offset - 1) + 1;
  const nl = query.indexOf('\n', err.offset);
  const line = query.slice(lineStart, nl === -1 ? undefined : nl);
  const col = err.offset - lineStart;
  const width = Math.max(1, Math.min(err.length ?? 1, line.length - col));
  const lines = [err.message, indent + line, indent + ' '.repeat(col) + '^'.repeat(width)];
  if (err.hint) lines.push(`${indent}hint: ${err.hint}`);
  return lines.join('\n');
}
