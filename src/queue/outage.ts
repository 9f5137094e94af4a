// A Redis outage as an operator wants to read it: the loss logged once, then one "still
// unreachable" line per growing interval (10 s, 20 s, 40 s … at most every 5 min) while it lasts,
// and the recovery once, with how long it took. Every connection of the process and every
// BullMQ worker and queue reports its errors here; the reconnect attempts of ioredis (several a
// second per connection) do not each get a line. Errors that are not about the connection are
// logged as they come.

import type { Logger } from 'pino';
import { redactCredentials } from '../config/credentials.js';

/** What OutageLog needs of a connection: ioredis' status and its events. */
export interface WatchedConnection {
  status: string;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
}

export interface OutageLogOptions {
  /** First "still unreachable" line this long after the loss; the gap doubles after each. */
  firstReminderMs?: number;
  maxReminderMs?: number;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);
const CONNECTION_MESSAGES = /Connection is closed|Stream isn't writeable|Socket closed|LOADING|MASTERDOWN|CLUSTERDOWN|Failed to refresh slots cache|None of startup nodes is available/i;

/** Whether an error says that Redis cannot be reached (rather than that a command went wrong). */
export function isConnectionError(err: Error): boolean {
  return CONNECTION_CODES.has((err as NodeJS.ErrnoException).code ?? '') || CONNECTION_MESSAGES.test(err.message);
}

interface Outage {
  since: number;
  errors: number;
  lastError: string;
  lastErrorAt: number;
  nextReminderAt: number;
  reminderGapMs: number;
  timer: NodeJS.Timeout;
}

export class OutageLog {
  private readonly connections = new Set<WatchedConnection>();
  private outage: Outage | undefined;
  private readonly firstReminderMs: number;
  private readonly maxReminderMs: number;

  constructor(
    private readonly log: Logger,
    private readonly url: string,
    options: OutageLogOptions = {},
  ) {
    this.firstReminderMs = options.firstReminderMs ?? 10_000;
    this.maxReminderMs = options.maxReminderMs ?? 300_000;
  }

  /** Follows a connection: its errors count towards an outage, and the outage ends when every one is ready. */
  watch(connection: WatchedConnection): void {
    this.connections.add(connection);
    connection.on('error', (err) => this.error(err));
    connection.on('ready', () => this.check());
  }

  /** An error from a connection, a worker or a queue; `context` (e.g. the queue) goes with a line of its own. */
  error(err: Error, context: Record<string, unknown> = {}, message = 'redis error'): void {
    const now = Date.now();
    if (!this.outage && !isConnectionError(err)) {
      this.log.error({ ...context, err: err.message }, message);
      return;
    }
    if (this.outage) {
      this.outage.errors++;
      this.outage.lastError = err.message;
      this.outage.lastErrorAt = now;
      return;
    }
    this.outage = {
      since: now,
      errors: 1,
      lastError: err.message,
      lastErrorAt: now,
      nextReminderAt: now + this.firstReminderMs,
      reminderGapMs: this.firstReminderMs,
      timer: setInterval(() => this.check(), 500).unref(),
    };
    this.log.error({ redis: redactCredentials(this.url), err: err.message }, `lost the connection to Redis (${err.message}); retrying, work waits until it is back`);
  }

  /** Ends the reminders (process shutdown). */
  close(): void {
    if (this.outage) clearInterval(this.outage.timer);
    this.outage = undefined;
  }

  private check(): void {
    const outage = this.outage;
    if (!outage) return;
    const now = Date.now();
    // Back when every watched connection is ready and nothing failed for a moment (a worker's
    // own connection may still be reconnecting right after the first one is back).
    if ([...this.connections].every((c) => c.status === 'ready') && now - outage.lastErrorAt >= 1_000) {
      clearInterval(outage.timer);
      this.outage = undefined;
      const seconds = Math.round((now - outage.since) / 1_000);
      this.log.warn({ redis: redactCredentials(this.url), downForSeconds: seconds, errors: outage.errors }, `Redis is back after ${seconds} s`);
      return;
    }
    if (now >= outage.nextReminderAt) {
      const seconds = Math.round((now - outage.since) / 1_000);
      outage.reminderGapMs = Math.min(outage.reminderGapMs * 2, this.maxReminderMs);
      outage.nextReminderAt = now + outage.reminderGapMs;
      this.log.warn(
        { redis: redactCredentials(this.url), downForSeconds: seconds, errors: outage.errors, err: outage.lastError },
        `Redis still unreachable after ${seconds} s (${outage.lastError}); next word in ${Math.round(outage.reminderGapMs / 1_000)} s`,
      );
    }
  }
}
