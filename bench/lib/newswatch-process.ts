// One Newswatch process for the benchmark and the soak, forked by them so that its CPU time and
// peak RSS are its own (the local servers run in the parent). Two modes, chosen by the parent's
// messages:
//   - the pipeline: `newswatch start`'s workers on the given config and Redis (NEWSWATCH_CONFIG,
//     REDIS_URL, SMTP_URL, NEWSWATCH_PREFIX), schedulers only when asked;
//   - the bare work: the same fetch, parse, extract and match code in one loop with the workers'
//     concurrency, no queues and no Redis, the yardstick for the queue overhead.
// It answers "stats" with its CPU time, RSS and the time its last job finished.

import { availableParallelism } from 'node:os';
import { performance, PerformanceObserver, type EventLoopUtilization } from 'node:perf_hooks';
import pino from 'pino';
import { createMailer } from '../../src/alerts/mailer.js';
import { addressPolicy } from '../../src/feeds/address-guard.js';
import { matchInputOf, withPage, type Article } from '../../src/feeds/article.js';
import { readArticlePage } from '../../src/feeds/article-page.js';
import { fetchUrl } from '../../src/feeds/fetch.js';
import { loadConfigOrThrow } from '../../src/config/load.js';
import { limitHeapGrowth } from '../../src/cli/heap.js';
import { keywordRules } from '../../src/alerts/subscriptions.js';
import { RuleIndex } from '../../src/match/index.js';
import { defaultSettings } from '../../src/queue/context.js';
import { inParallel } from '../../src/queue/in-parallel.js';
import { Sandbox } from '../../src/sandbox/pool.js';
import { currentThreadId, threadCpuMs } from '../../src/sandbox/thread-cpu.js';
import { articleCounts, type ArticleJobResult } from '../../workers/article.js';
import { createPipeline, type Pipeline } from '../../workers/index.js';
import type { PollResult } from '../../workers/poll.js';

export type Command =
  | { cmd: 'start'; schedulers?: boolean }
  | { cmd: 'stats' }
  | { cmd: 'pause'; queue: string }
  | { cmd: 'resume'; queue: string }
  | { cmd: 'bare' }
  | { cmd: 'close' };

export interface ProcessStats {
  /** CPU seconds, user + system, since the process started. */
  cpuS: number;
  /** Of them, the main thread's (Linux /proc; 0 elsewhere): the thread every job runs on. */
  mainThreadCpuS: number;
  rssMB: number;
  peakRssMB: number;
  heapMB: number;
  /** Main-thread garbage collection pauses, seconds since the process started. */
  gcS: number;
  /** Per queue: jobs completed (the article queue: articles, those the polls processed themselves too) and failed. */
  completed: Record<string, number>;
  failed: Record<string, number>;
  /** Articles that matched at least one rule. */
  matched: number;
  /** How late each poll job started after its scheduled time (ms), since the last stats. */
  pollLagsMs: number[];
  lastFinished: number;
  /** This process's event loop: time busy and idle since it started (ms). */
  elu?: EventLoopUtilization;
  /** Per queue: jobs in flight integrated over time since the start (job-ms), for the mean in flight. */
  inFlightMs?: Record<string, number>;
}

export interface BareResult {
  articles: number;
  /** CPU seconds (user + system, sandbox threads included) the round took. */
  cpuS: number;
  matched: number;
  pages: number;
  started: number;
  finished: number;
}

const env = process.env;
const config = await loadConfigOrThrow(env.NEWSWATCH_CONFIG ?? 'config', env);
const settings = defaultSettings(env, config.settings);
// As `start` does (src/cli/runtime.ts).
limitHeapGrowth(settings.heapGrowthPercent);
// The soak shrinks every keep window (job ids, story dedup, seen items) so that Redis reaches its
// steady state within the warm-up; a leak then shows as growth.
if (env.BENCH_KEEP_WINDOW_MS) {
  const ms = Number(env.BENCH_KEEP_WINDOW_MS);
  Object.assign(settings, { keepCompletedSeconds: ms / 1000, dedupWindowMs: ms, seenRetentionMs: ms });
}
// Every parsing thread kept: here they run from TypeScript source, and a thread that ended while
// the other process had its round would cost seconds of tsx start-up in the next one.
Object.assign(settings, { parsing: { ...settings.parsing, minThreads: settings.parsing.threads ?? availableParallelism() } });
// The soak's --poll-concurrency: polls in flight, to compare against the default in one run.
if (env.BENCH_POLL_CONCURRENCY) settings.concurrency = { ...settings.concurrency, poll: Number(env.BENCH_POLL_CONCURRENCY) };
if (env.BENCH_DELIVER_CONCURRENCY) settings.concurrency = { ...settings.concurrency, deliver: Number(env.BENCH_DELIVER_CONCURRENCY) };
const log = pino({ level: env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
const completed: Record<string, number> = {};
const failed: Record<string, number> = {};
let lastFinished = 0;
let matched = 0;
const pollLagsMs: number[] = [];
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
}).observe({ entryTypes: ['gc'] });
let pipeline: Pipeline | undefined;
let bareSandbox: Sandbox | undefined;
const inFlight: Record<string, { now: number; since: number; jobMs: number }> = {};

/** Jobs in flight per queue, integrated over time: the mean over a stretch is Δ jobMs / Δ ms. */
function inFlightChange(queue: string, delta: number): void {
  const t = performance.now();
  const q = (inFlight[queue] ??= { now: 0, since: t, jobMs: 0 });
  q.jobMs += q.now * (t - q.since);
  q.since = t;
  q.now += delta;
}

/** The main thread's Linux id, for its CPU time in stats (undefined elsewhere: the figure is then 0). */
const mainThreadId = currentThreadId();

function stats(): ProcessStats {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  return {
    cpuS: (cpu.user + cpu.system) / 1e6,
    mainThreadCpuS: (threadCpuMs(mainThreadId) ?? 0) / 1000,
    rssMB: mem.rss / 2 ** 20,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    heapMB: mem.heapUsed / 2 ** 20,
    gcS: gcMs / 1000,
    completed,
    failed,
    matched,
    pollLagsMs: pollLagsMs.splice(0),
    lastFinished,
    elu: performance.eventLoopUtilization(),
    inFlightMs: Object.fromEntries(Object.keys(inFlight).map((q) => (inFlightChange(q, 0), [q, inFlight[q]!.jobMs]))),
  };
}

function start(schedulers: boolean): Promise<void> | void {
  const mailer = createMailer({ smtpUrl: env.SMTP_URL, outboxDir: 'unused', from: settings.mailFrom, connections: settings.smtpConnections });
  pipeline = createPipeline({ redisUrl: env.REDIS_URL!, config, settings, mailer, log });
  for (const w of pipeline.runWorkers()) {
    w.on('active', () => inFlightChange(w.name, 1));
    w.on('completed', (job, result: unknown) => {
      inFlightChange(w.name, -1);
      // An article job is one article or a poll's batch: counted in articles. A poll that processed
      // its feed's new items itself (no article job) adds them to the article count too.
      const counts = w.name === 'article' ? articleCounts(result as ArticleJobResult) : undefined;
      completed[w.name] = (completed[w.name] ?? 0) + (counts?.articles ?? 1);
      const inPoll = w.name === 'poll' ? (result as PollResult).processed : undefined;
      if (inPoll) completed.article = (completed.article ?? 0) + inPoll.articles;
      matched += inPoll?.matched ?? 0;
      if (w.name === 'poll' && job.processedOn) pollLagsMs.push(job.processedOn - job.timestamp - (job.opts.delay ?? 0));
      matched += counts?.matched ?? 0;
      lastFinished = Date.now();
    });
    w.on('failed', () => {
      inFlightChange(w.name, -1);
      failed[w.name] = (failed[w.name] ?? 0) + 1;
      lastFinished = Date.now();
    });
  }
  if (schedulers) return pipeline.syncSchedulers().then(() => undefined);
}

/** Every configured feed once: fetch, parse, normalise; each item: page (fetchArticle), match. */
async function bare(): Promise<BareResult> {
  const rules = RuleIndex.build([...config.rules, ...keywordRules(config.subscriptions)]);
  // Feeds and pages parsed in sandbox threads, as the workers do.
  bareSandbox ??= new Sandbox(settings.parsing);
  const sandbox = bareSandbox;
  // The pages get the workers' address guard; the host limiter is left out, as it lives in Redis.
  const guard = addressPolicy(config.feeds, settings.allowAddresses);
  const cpu0 = process.cpuUsage();
  const result: BareResult = { articles: 0, cpuS: 0, matched: 0, pages: 0, started: Date.now(), finished: 0 };
  const articles: { article: Article; fetchPage: boolean; tags?: string[] }[] = [];
  const process1 = async ({ article, fetchPage, tags }: (typeof articles)[number]) => {
    let a = article;
    if (fetchPage && a.url) {
      a = withPage(a, await readArticlePage(a.url, { settings, siteRules: config.sites, sandbox, guard }));
      result.pages++;
    }
    if (rules.match(matchInputOf(a, tags)).length > 0) result.matched++;
    result.articles++;
  };
  // Feeds and articles flow at once, as in the pipeline: each feed's items join the article pool.
  let feedsDone = false;
  const articleRunners = Array.from({ length: settings.concurrency.article }, async () => {
    for (;;) {
      const next = articles.shift();
      if (next) await process1(next);
      else if (feedsDone) return;
      else await new Promise((r) => setImmediate(r));
    }
  });
  await inParallel(config.feeds, settings.concurrency.poll, async (feed) => {
    // As the poll worker fetches and parses: its limits, its item identity, no content HTML.
    const res = await fetchUrl(feed.url, { userAgent: settings.userAgent, timeoutMs: settings.feedTimeoutMs, connectTimeoutMs: settings.connectTimeoutMs, maxBytes: settings.feedMaxBytes, maxRedirects: settings.maxRedirects });
    const ref = { id: feed.id, url: res.url, identity: feed.identity ?? settings.itemIdentity };
    const { items } = await sandbox.parseFeed(res.body, res.url, ref, { html: false }, res.headers.get('content-type'));
    for (const article of items) articles.push({ article, fetchPage: feed.fetchArticle, tags: feed.tags });
  });
  feedsDone = true;
  await Promise.all(articleRunners);
  result.finished = Date.now();
  const cpu = process.cpuUsage(cpu0);
  result.cpuS = (cpu.user + cpu.system) / 1e6;
  return result;
}

const reply = (msg: unknown) => process.send!(msg);

process.on('message', (msg: Command) => {
  const run = async (): Promise<unknown> => {
    switch (msg.cmd) {
      case 'start':
        await start(msg.schedulers ?? false);
        return { ok: true };
      case 'stats':
        return stats();
      case 'pause':
        await pipeline?.workers.find((w) => w.name === msg.queue)?.pause();
        return { ok: true };
      case 'resume':
        pipeline?.workers.find((w) => w.name === msg.queue)?.resume();
        return { ok: true };
      case 'bare':
        return bare();
      case 'close':
        await pipeline?.close();
        await bareSandbox?.close();
        setImmediate(() => process.exit(0));
        return { ok: true };
    }
  };
  run().then(reply, (err: Error) => reply({ error: err.stack ?? err.message }));
});
reply({ ready: true });
