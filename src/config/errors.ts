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

/**
 * Why a file could not be read and what to do, in words rather than errno codes (ENOENT,
 * EISDIR, ENOTDIR, EACCES), for every command that reads a file it was pointed at.
 */
export function describeReadError(err: unknown): { message: string; hint: string } {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return { message: 'no such file', hint: 'check the path' };
    case 'EISDIR':
      return { message: 'is a directory', hint: 'give the path of a file' };
    case 'ENOTDIR':
      return { message: 'a part of the path is not a directory', hint: 'check the path' };
    case 'EACCES':
    case 'EPERM':
      return { message: 'permission denied', hint: 'make the file readable for this user (chmod/chown) or run as its owner' };
    default:
      return { message: `cannot be read (${(err as Error).message})`, hint: 'check the path and the file' };
  }
}

/** A file that could not be read, as one line: `PATH: no such file; check the path`. */
export const readErrorLine = (path: string, err: unknown): string => {
  const { message, hint } = describeReadError(err);
  return `${path}: ${message}; ${hint}`;
};
