// Structured logs (pino, JSON lines) on stderr, so stdout stays free for command output such
// as `match`'s JSON Lines. LOG_LEVEL overrides the command's default level. No line carries a
// URL's credentials (REDIS_URL, SMTP_URL, feeds with user:password@): each is redacted as written.

import pino, { type Logger } from 'pino';
import { redactCredentials } from '../config/credentials.js';

export function createLogger(defaultLevel = 'info', env: NodeJS.ProcessEnv = process.env): Logger {
  return pino({ level: env.LOG_LEVEL || defaultLevel, base: { pid: process.pid }, hooks: { streamWrite: redactCredentials } }, pino.destination(2));
}
