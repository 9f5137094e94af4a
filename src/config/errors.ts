// A config problem always carries where it is (file, line, column) and what to change.
// Loaders collect every problem in one pass so a user fixes them all at once.

export interface ConfigIssue {
  file: string;
  line: number;
  column: number;
  message: string;
  /** What to change, e.g. 'did you mean "interval"?' */
  hint?: string;
  /** The offending source line with a caret under the column, when known. */
  excerpt?: string;
  severity: 'error' | 'warning';
}

export function formatIssue(issue: ConfigIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  const head = `${where}: ${issue.severity}: ${issue.message}`;
  const lines = [head];
  if (issue.excerpt) lines.push(issue.excerpt);
  if (issue.hint) lines.push(`  fix: ${issue.hint}`);
  return lines.join('\n');
}

export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(
      `configuration has ${issues.length} error(s):\n` +
        issues.map(formatIssue).join('\n'),
    );
    this.name = 'ConfigError';
  }
}
