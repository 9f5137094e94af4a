// How a command's failure is told: one line on stderr with the cause and what to do, never a
// stack trace for an ordinary failure (a config problem, no Redis, a missing file, a URL that
// answers 404 or is not a feed). LOG_LEVEL=debug adds the stack trace, for bug reports.

import { redactCredentials } from '../config/credentials.js';
import { ConfigError } from '../config/errors.js';
import { FetchError } from '../feeds/fetch.js';
import { QuerySyntaxError } from '../match/index.js';
import { RedisUnavailableError } from '../queue/redis.js';
import { CliError } from './common.js';

export interface Failure {
  /** What to print on stderr, newline-terminated, credentials in URLs masked. */
  text: string;
  exitCode: number;
}

export function describeFailure(err: unknown, env: NodeJS.ProcessEnv): Failure {
  const { text, exitCode } = plainFailure(err);
  const stack = env.LOG_LEVEL === 'debug' && err instanceof Error && err.stack ? `${err.stack}\n` : '';
  return { text: redactCredentials(`newswatch: ${text}\n${stack}`), exitCode };
}

function plainFailure(err: unknown): { text: string; exitCode: number } {
  if (err instanceof ConfigError || err instanceof RedisUnavailableError) return { text: err.message, exitCode: 1 };
  if (err instanceof QuerySyntaxError) return { text: err.message, exitCode: 2 };
  if (err instanceof CliError) return { text: err.message, exitCode: err.exitCode };
  if (err instanceof FetchError) return { text: `${oneLine(err.message)}${fetchAdvice(err)}`, exitCode: 1 };
  const message = err instanceof Error ? err.message : String(err);
  return { text: `unexpected error: ${oneLine(message)} (a bug: run again with LOG_LEVEL=debug for the stack trace and report it)`, exitCode: 1 };
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ').trim();

/** What to do about a failed fetch or parse, for the classes whose message does not say it. */
function fetchAdvice(err: FetchError): string {
  switch (err.errorClass) {
    case 'http':
      if (err.status === 401 || err.status === 403) return '; the server refuses access: check the URL, or give user:password@ in it if the feed needs a login';
      if (err.status !== undefined && (err.status === 429 || err.status >= 500)) return '; the server has trouble or is busy: try again later';
      return '; check the URL (open it in a browser)';
    case 'network':
      return '; check the URL and that the server is up';
    case 'timeout':
      return '; check that the server is up, or try again later';
    case 'tls':
      return "; check the URL's host name and the server's certificate (a private CA: NODE_EXTRA_CA_CERTS=ca.pem)";
    case 'not-a-feed':
      return "; give the feed's own URL or file (an RSS, Atom or JSON Feed document, not a web page)";
    default:
      // dns, too-large, redirects, over-budget, busy, blocked-address, not-html: the message says it.
      return '';
  }
}
