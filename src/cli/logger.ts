// Logs go to stderr, so stdout stays free for command output such as `match`'s JSON Lines.
// On a terminal they are readable lines (pino-pretty: time, level, message, fields); otherwise,
// or with LOG_FORMAT=json, JSON lines for log collectors (LOG_FORMAT=pretty forces readable
// lines). LOG_LEVEL overrides the command's default level. No line carries a URL's credentials
// (REDIS_URL, SMTP_URL, feeds with user:password@): each is redacted as written.

import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { redactCredentials } from '../config/credentials.js';

/** Whether logs on this stream are for a person: a terminal, unless LOG_FORMAT says otherwise. */
export function readableLogs(env: NodeJS.ProcessEnv, stream: { isTTY?: boolean } = process.stderr): boolean {
  if (env.LOG_FORMAT === 'json') return false;
  return env.LOG_FORMAT === 'pretty' || stream.isTTY === true;
}

export function createLogger(defaultLevel = 'info', env: NodeJS.ProcessEnv = process.env): Logger {
  const options = { level: env.LOG_LEVEL || defaultLevel, base: { pid: process.pid }, hooks: { streamWrite: redactCredentials } };
  if (!readableLogs(env)) return pino(options, pino.destination(2));
  const colorize = process.stderr.isTTY === true && !env.NO_COLOR;
  return pino(options, pretty({ destination: 2, sync: true, colorize, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname', singleLine: true }));
}
