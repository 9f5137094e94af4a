// Everything a worker needs, built once per process and passed in: config, compiled rules,
// Redis, the queues to hand work on to, the mailer, settings. Tests build one with their own
// Redis prefix, SMTP server and short backoffs.

import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Mailer } from '../alerts/mailer.js';
import type { Config } from '../config/load.js';
import type { RuleIndex } from '../match/index.js';
import type { ArticleJobData, DeliverJobData, DigestJobData, PollJobData } from './jobs.js';

export interface Settings {
  /** Prefix of every Redis key (BullMQ's and ours); lets several installs share one Redis. */
  prefix: string;
  userAgent: string;
  feedTimeoutMs: number;
  pageTimeoutMs: number;
  feedMaxBytes: number;
  pageMaxBytes: number;
  webhookTimeoutMs: number;
  /** On a feed's first poll, items older than this are remembered but not alerted. */
  firstPollMaxAgeMs: number;
  pollAttempts: number;
  pollBackoffMs: number;
  deliverAttempts: number;
  deliverBackoffMs: number;
  /** Completed jobs are kept this long so their deterministic ids keep deduplicating. */
  keepCompletedSeconds: number;
  concurrency: { poll: number; article: number; digest: number; deliver: number };
  mailFrom: string;
  /** Copies of a story within this window give no second alert. */
  dedupWindowMs: number;
  /** BullMQ job lock: a worker that dies holding a job gives it back after about this long. */
  lockDurationMs: number;
  /** Public URL of this install, for unsubscribe links; none → no List-Unsubscribe headers. */
  publicUrl?: string;
}

export function defaultSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  return {
    prefix: env.NEWSWATCH_PREFIX || 'newswatch',
    userAgent: env.PUBLIC_URL ? `Newswatch/0.1 (+${env.PUBLIC_URL})` : 'Newswatch/0.1 (self-hosted news monitor)',
    feedTimeoutMs: 30_000,
    pageTimeoutMs: 20_000,
    feedMaxBytes: 10 * 1024 * 1024,
    pageMaxBytes: 5 * 1024 * 1024,
    webhookTimeoutMs: 10_000,
    firstPollMaxAgeMs: 3 * 86_400_000,
    pollAttempts: 3,
    pollBackoffMs: 60_000,
    // 20 s doubling over 12 attempts: about 23 hours before a delivery is given up as failed.
    deliverAttempts: 12,
    deliverBackoffMs: 20_000,
    keepCompletedSeconds: 3 * 86_400,
    concurrency: { poll: 8, article: 8, digest: 2, deliver: 4 },
    mailFrom: env.MAIL_FROM || 'Newswatch <newswatch@localhost>',
    dedupWindowMs: 48 * 3_600_000,
    lockDurationMs: Number(env.NEWSWATCH_LOCK_MS) || 30_000,
    publicUrl: env.PUBLIC_URL || undefined,
  };
}

export interface Queues {
  poll: Queue<PollJobData>;
  article: Queue<ArticleJobData>;
  digest: Queue<DigestJobData>;
  deliver: Queue<DeliverJobData>;
}

export interface WorkerContext {
  config: Config;
  rules: RuleIndex;
  redis: Redis;
  queues: Queues;
  mailer: Mailer;
  settings: Settings;
  /** Key for unsubscribe-link HMACs (NEWSWATCH_SECRET, else one kept in Redis). */
  linkSecret: () => Promise<string>;
  log: Logger;
}
