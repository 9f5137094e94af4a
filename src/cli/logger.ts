// Structured logs (pino, JSON lines) on stderr, so stdout stays free for command output such
// as `match`'s JSON Lines. LOG_LEVEL overrides the command's default level.

import pino, { type Logger } from 'pino';

export function createLogger(defaultLevel = 'info', env: NodeJS.ProcessEnv = process.env): Logger {
  return pino({ level: env.LOG_LEVEL || defaultLevel, base: { pid: process.pid } }, pino.destination(2));
}
