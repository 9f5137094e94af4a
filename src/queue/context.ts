// Everything a worker needs, built once per process and passed in: config, compiled rules,
// Redis, the queues to hand work on to, the mailer, settings. Tests build one with their own
// Redis prefix, SMTP server and short backoffs.

import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { SubscriptionDirectory } from '../alerts/directory.js';
import type { Mailer } from '../alerts/mailer.js';
import type { Config } from '../config/load.js';
import type { WebhookConfig } from '../config/schema.js';
import { DEFAULT_SETTINGS_FILE, type SettingsFile } from '../config/settings-schema.js';
import type { RecentLimits } from '../feeds/recent-articles.js';
import type { Sandbox, SandboxLimits } from '../sandbox/pool.js';
import type { ArticleQueueData, DeliverJobData, DigestJobData, PollJobData } from './jobs.js';
import type { RedisKeys } from './keys.js';
import type { Metrics } from './metrics.js';
import type { RedisClient } from './redis.js';

export interface Settings {
  /** Prefix of every Redis key (BullMQ's and ours); lets several installs share one Redis. */
  prefix: string;
  /** Names Newswatch and, from settings.yaml `contact:` or PUBLIC_URL, how to reach the operator. */
  userAgent: string;
  connectTimeoutMs: number;
  feedTimeoutMs: number;
  pageTimeoutMs: number;
  feedMaxBytes: number;
  pageMaxBytes: number;
  webhookTimeoutMs: number;
  /** SMTP connections kept open and reused (nodemailer's pool), per worker process. */
  smtpConnections: number;
  maxRedirects: number;
  /**
   * Private addresses and CIDR ranges that article pages, their redirects and API-created webhooks
   * may reach (settings.yaml fetch.allowAddresses); the hosts of feeds.yaml are always allowed.
   */
  allowAddresses: string[];
  /** Longest an article job waits for a busy or paused host before matching on feed text alone. */
  pageMaxDelayMs: number;
  /** Budgets of the worker threads that parse pages and feeds (src/sandbox). */
  parsing: SandboxLimits;
  /** Per-host politeness across all worker processes (Redis-backed). */
  hosts: HostLimits;
  /** On a feed's first poll, items older than this are remembered but not alerted. */
  firstPollMaxAgeMs: number;
  /** Longest wait between polls of a failing feed (exponential backoff from its interval). */
  maxBackoffMs: number;
  /** Longest Retry-After (429/503) honoured. */
  maxRetryAfterMs: number;
  /** A feed failing for this long is flagged in its health (and still polled). */
  flagAfterMs: number;
  /** Told when a feed is flagged and when it recovers (settings.yaml `operator:`); each optional. */
  operator: { email?: string; webhook?: WebhookConfig };
  /** What identifies a feed item unless feeds.yaml says otherwise for its feed. */
  itemIdentity: 'guid' | 'link';
  pollAttempts: number;
  pollBackoffMs: number;
  deliverAttempts: number;
  deliverBackoffMs: number;
  /**
   * Article and delivery job ids are remembered this long after the job was added (a BullMQ
   * deduplication key, not the finished job: that is removed on completion with its payload).
   */
  keepCompletedSeconds: number;
  /** An item that left its feed is still remembered as seen this long (30 days). */
  seenRetentionMs: number;
  concurrency: { poll: number; article: number; digest: number; deliver: number };
  mailFrom: string;
  /** settings.yaml delivery.unsubscribeMailto: a List-Unsubscribe mailto address beside the HTTPS link. */
  unsubscribeMailto?: string;
  /** Copies of a story within this window give no second alert. */
  dedupWindowMs: number;
  /** BullMQ job lock: a worker that dies holding a job gives it back after about this long. */
  lockDurationMs: number;
  /**
   * NEWSWATCH_HEAP_GROWTH: how far, in % of what survived the last full garbage collection, a
   * worker process's JavaScript heap may grow before the next one (src/cli/heap.ts); 0 leaves it
   * to V8.
   */
  heapGrowthPercent: number;
  /**
   * Where readers reach this install (PUBLIC_URL, default http://localhost:$HTTP_PORT): the start
   * of every confirmation, manage, unsubscribe and feed link.
   */
  publicUrl: string;
  /** Recent articles kept in Redis to preview a query on (settings.yaml preview:). */
  recent: RecentLimits;
  /** The web server of `newswatch start`. */
  http: HttpSettings;
  /** Subscriptions made by readers (subscribe page) and API clients. */
  selfService: SelfServiceSettings;
  /** The JSON API under /api/v1. */
  api: ApiSettings;
  /** ADMIN_TOKEN: the bearer token of the API; the API is off when unset. */
  adminToken?: string;
  /** The reader's pages (subscribe, preview, confirm, manage, unsubscribe). */
  pages: PagesSettings;
  /** NEWSWATCH_SECRET: key of unsubscribe-link HMACs; when unset, one is kept in Redis. */
  secret?: string;
}

export interface HttpSettings {
  /** HTTP_HOST; default 127.0.0.1 (the container sets 0.0.0.0). */
  host: string;
  /** HTTP_PORT; default 8080; 0 picks a free port (tests). */
  port: number;
  /** Largest request body read; larger ones get 413. */
  bodyLimitBytes: number;
}

export interface SelfServiceSettings {
  /** An unconfirmed subscription and its confirmation link last this long. */
  confirmWithinMs: number;
  /** Confirmation and manage-link emails per address per day. */
  mailsPerAddressPerDay: number;
  /** Subscriptions per address, confirmed and unconfirmed together. */
  subscriptionsPerAddress: number;
}

export interface ApiSettings {
  /** Per client IP per minute; more get 429. */
  requestsPerMinute: number;
  /** CIDR ranges API-created webhooks may reach although not public. */
  allowWebhookRanges: string[];
}

export interface PagesSettings {
  /** Whether anyone may subscribe on the page at /. */
  publicForm: boolean;
  /** When not empty, only addresses at these domains (or their subdomains) may subscribe. */
  allowedDomains: string[];
  maxQueryLength: number;
  maxQueryTerms: number;
  /** Per client IP, per minute and form. */
  formsPerMinute: number;
  previewsPerMinute: number;
}

export interface HostLimits {
  /** Requests at once to one host. */
  concurrency: number;
  /** Between the starts of two requests to one host. */
  minGapMs: number;
  /** Longest a request waits for its turn before it gives up (class "busy"). */
  maxWaitMs: number;
  /** By host name. */
  overrides: Record<string, { concurrency?: number; minGapMs?: number }>;
}

/** Settings from the environment and settings.yaml (`file`, defaults when absent). */
export function defaultSettings(env: NodeJS.ProcessEnv = process.env, file: SettingsFile = DEFAULT_SETTINGS_FILE): Settings {
  const contact = file.contact ?? env.PUBLIC_URL;
  const port = httpPort(env.HTTP_PORT);
  return {
    prefix: env.NEWSWATCH_PREFIX || 'newswatch',
    userAgent: contact ? `Newswatch/0.1 (+${contact})` : 'Newswatch/0.1 (self-hosted news monitor)',
    connectTimeoutMs: file.fetch.connectTimeout,
    feedTimeoutMs: file.fetch.feedTimeout,
    pageTimeoutMs: file.fetch.pageTimeout,
    feedMaxBytes: file.fetch.feedMaxSize,
    pageMaxBytes: file.fetch.pageMaxSize,
    maxRedirects: file.fetch.maxRedirects,
    allowAddresses: file.fetch.allowAddresses,
    pageMaxDelayMs: file.fetch.pageMaxDelay,
    parsing: {
      timeoutMs: file.parsing.timeout,
      memoryMb: Math.floor(file.parsing.memory / 1024 / 1024),
      threads: file.parsing.threads,
      maxDepth: file.parsing.maxDepth,
      nice: file.parsing.nice,
    },
    hosts: {
      concurrency: file.hosts.concurrency,
      minGapMs: file.hosts.minGap,
      maxWaitMs: file.hosts.maxWait,
      overrides: Object.fromEntries(
        Object.entries(file.hosts.overrides).map(([host, o]) => [host.toLowerCase(), { concurrency: o.concurrency, minGapMs: o.minGap }]),
      ),
    },
    webhookTimeoutMs: file.delivery.webhookTimeout,
    smtpConnections: file.delivery.smtpConnections,
    firstPollMaxAgeMs: file.polling.firstPollMaxAge,
    maxBackoffMs: file.polling.maxBackoff,
    maxRetryAfterMs: file.polling.maxRetryAfter,
    flagAfterMs: file.polling.flagAfter,
    operator: file.operator,
    itemIdentity: file.polling.identity,
    // A failing poll is not retried by BullMQ: the poll worker backs the feed off itself
    // (exponential from its interval, Retry-After honoured) and the scheduler's next run checks.
    pollAttempts: 1,
    pollBackoffMs: 60_000,
    // 20 s doubling over 12 attempts: about 23 hours before a delivery is given up as failed.
    deliverAttempts: file.delivery.attempts,
    deliverBackoffMs: file.delivery.backoff,
    keepCompletedSeconds: 3 * 86_400,
    seenRetentionMs: 30 * 86_400_000,
    // Deliveries mostly wait on a receiver or a mail server: 16 in flight keep a 50 ms receiver
    // at 300/s, where 4 capped it at 80/s. Polls too wait on Redis and on feed servers (the
    // per-host limits stay in force): 10,000 feeds every 5 minutes need 33 polls/s, which 8 in
    // flight cannot give from servers that take 250 ms to answer.
    concurrency: { poll: 50, article: 8, digest: 2, deliver: 16 },
    mailFrom: env.MAIL_FROM || 'Newswatch <newswatch@localhost>',
    unsubscribeMailto: file.delivery.unsubscribeMailto,
    dedupWindowMs: file.alerts.dedupWindow,
    lockDurationMs: Number(env.NEWSWATCH_LOCK_MS) || 30_000,
    heapGrowthPercent: heapGrowth(env.NEWSWATCH_HEAP_GROWTH),
    publicUrl: publicUrl(env.PUBLIC_URL, port),
    pages: {
      publicForm: file.web.publicForm,
      allowedDomains: file.web.allowedDomains,
      maxQueryLength: file.web.maxQueryLength,
      maxQueryTerms: file.web.maxQueryTerms,
      formsPerMinute: file.web.formsPerMinute,
      previewsPerMinute: file.web.previewsPerMinute,
    },
    recent: { keepMs: file.preview.keep, maxArticles: file.preview.maxArticles },
    http: { host: env.HTTP_HOST || '127.0.0.1', port, bodyLimitBytes: file.web.bodyLimit },
    selfService: {
      confirmWithinMs: file.web.confirmWithin,
      mailsPerAddressPerDay: file.web.mailsPerAddressPerDay,
      subscriptionsPerAddress: file.web.subscriptionsPerAddress,
    },
    api: { requestsPerMinute: file.api.requestsPerMinute, allowWebhookRanges: file.api.allowWebhookRanges },
    adminToken: env.ADMIN_TOKEN || undefined,
    secret: env.NEWSWATCH_SECRET || undefined,
  };
}

function httpPort(text: string | undefined): number {
  if (text === undefined || text === '') return 8080;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`HTTP_PORT must be a port number from 1 to 65535 (got "${text}"); unset it for the default 8080`);
  }
  return port;
}

function heapGrowth(text: string | undefined): number {
  if (text === undefined || text === '') return 100;
  const percent = Number(text);
  if (!Number.isInteger(percent) || percent < 0 || percent > 1000) {
    throw new Error(`NEWSWATCH_HEAP_GROWTH must be a whole percentage from 0 to 1000 (got "${text}"); 0 leaves heap growth to V8, unset it for the default 100`);
  }
  return percent;
}

function publicUrl(text: string | undefined, port: number): string {
  if (!text) return `http://localhost:${port}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`PUBLIC_URL must be an absolute http(s) URL such as https://news.example.org (got "${text}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`PUBLIC_URL must start with http:// or https:// (got "${text}")`);
  }
  // Links are built by appending paths, so one trailing slash is the canonical form.
  return url.href.replace(/\/+$/, '');
}

export interface Queues {
  poll: Queue<PollJobData>;
  article: Queue<ArticleQueueData>;
  digest: Queue<DigestJobData>;
  deliver: Queue<DeliverJobData>;
}

export interface WorkerContext {
  /** Feeds and sites; subscriptions and rules are looked up in `directory`. */
  config: Config;
  /** Every subscription and rule, from YAML and from Redis, and the rule index over them. */
  directory: SubscriptionDirectory;
  redis: RedisClient;
  /** Every Redis key name of this deployment (prefix, cluster hash tags). */
  keys: RedisKeys;
  queues: Queues;
  mailer: Mailer;
  /** Worker threads for parsing pages and feeds under a time and memory budget. */
  sandbox: Sandbox;
  settings: Settings;
  /** Key for unsubscribe-link HMACs (NEWSWATCH_SECRET, else one kept in Redis). */
  linkSecret: () => Promise<string>;
  /** This process's Prometheus metrics (served at /metrics). */
  metrics: Metrics;
  log: Logger;
  /**
   * Whether this process runs the article role (set by runWorkers). A poll then processes the new
   * items of a feed without page fetch itself, instead of writing them to Redis as batch jobs for
   * an article worker to read back (workers/poll.ts).
   */
  processesArticles: boolean;
}
