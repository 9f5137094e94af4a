// End-to-end benchmark of the pipeline (issue 14): `npm run bench:pipeline [-- options]`.
//
// Method. Everything runs on this machine: a feed and page server, a webhook receiver and a
// minimal SMTP sink in this process on 127.0.0.1, a throwaway redis-server on a free port (never
// the machine's Redis), and Newswatch in child processes of its own, so that its CPU time and
// peak RSS are measured apart from the servers. Feeds are generated from the shared corpus's real
// sentences (3 % syndicated copies); the rule set is calibrated so that a fixed share of
// articles matches (bench:match's rule mix, rules that would push the share over it left out).
// Subscriptions: 20 webhook and 20 email, each on its own slice of the rules.
//
// Each mode (no page fetch; page fetch of ~20 KB pages) is measured in one worker process: a
// cold round (fresh process, first poll of every feed), then `--repeat` warm rounds (the feeds
// have moved on to new items); a long-running worker lives in the warm state. In the same run
// and on the same feeds, the bare work (fetch, parse, extract, match in one loop with the
// workers' concurrency, sandbox threads and address guard, no queues, no Redis) gives the
// yardstick the queue overhead is a ratio of: a bare round beside each pipeline round, in a
// process of its own that lives as long, the order alternating (bare first, then pipeline
// first), each round on a generation of its own, its feeds rendered (and UTF-8 encoded) by the server before
// the round is timed (page-fetch mode still renders each page when asked); the ratio is given as the median of the
// warm pairs with its range, and as CPU (bare CPU per article / the pipeline's Newswatch CPU per
// article), which the machine's load moves less. Latency is from the moment the feed server first served an item to its delivery at the
// receiver, under the burst of every feed polled at once. CPU: the Newswatch processes'
// user + system time and Redis's (INFO cpu), per 1,000 articles; beside them each round prints
// the cores used by Newswatch, its main thread, Redis and this process's own servers, which share
// the machine's cores with Newswatch. Redis memory: used_memory
// growth per article after the run, and after the keep windows (keys with a TTL dropped, as
// their expiry would; completed jobs kept by age removed, as BullMQ's age trim would).
//
// Then "every item" runs on 50 feeds × 50 items without copies: email to the SMTP sink against
// rss2email on the same feeds in the same run (when installed: apt-get install rss2email), and
// webhooks; then, for both, the deliver stage alone, timed from the release of a full deliver
// queue. `--baseline <checkout>` runs the "every item" passes also with another checkout's
// Newswatch (a worktree of the commit to compare with), alternating with this one, `--every-repeat`
// times each, so old and new meet the same load. Newswatch runs from TypeScript source under tsx
// unless `--built` (the compiled dist/ of `npm run build`, as `npm start` runs it: build first,
// and build the baseline checkout too). Results: a table on stdout and JSON in bench/results/
// (ignored by git).

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { Redis } from 'ioredis';
import { startManagedRedis } from '../src/queue/managed-redis.js';
import { News, type NewsItem } from './lib/news.js';
import { startFeedServer, startSmtpSink, startWebhookReceiver, type Receiver, type Times } from './lib/servers.js';
import { depths, fmt, forkNewswatch, memoryByFamily, openQueues, percentiles, redisFigures, table, waitDrained, writeConfigDir, type NewswatchChild } from './lib/measure.js';
import type { BareResult, ProcessStats } from './lib/newswatch-process.js';

const { values: args } = parseArgs({
  options: {
    feeds: { type: 'string', default: '200' },
    items: { type: 'string', default: '50' },
    rules: { type: 'string', default: '1000' },
    'match-rate': { type: 'string', default: '0.02' },
    processes: { type: 'string', default: '1' },
    'fetch-feeds': { type: 'string', default: '40' },
    'every-feeds': { type: 'string', default: '50' },
    only: { type: 'string', default: 'nofetch,fetch,email,webhook' },
    out: { type: 'string', default: join(import.meta.dirname, 'results') },
    // Writes a V8 CPU profile of each Newswatch process (pipeline and bare) into <out>/profiles.
    'cpu-prof': { type: 'boolean', default: false },
    // Flags for the Newswatch processes' node, space-separated: --node-args="--trace-gc --max-semi-space-size=32".
    'node-args': { type: 'string', default: '' },
    // Warm rounds per mode, each beside a bare round: the ratio's spread shows how far to trust it.
    repeat: { type: 'string', default: '3' },
    baseline: { type: 'string' },
    // Runs the no-fetch and page-fetch modes with another checkout's Newswatch (its bare loop too),
    // under this harness: an A/B of those modes is two runs, one with --code <other checkout>.
    code: { type: 'string' },
    'every-repeat': { type: 'string', default: '1' },
    // Runs Newswatch compiled (dist/ of `npm run build`, as `npm start` runs it; build first),
    // not from TypeScript source under tsx, whose loader compiles each thread's modules as it starts.
    built: { type: 'boolean', default: false },
  },
});
const FEEDS = Number(args.feeds);
const ITEMS = Number(args.items);
const RULES = Number(args.rules);
const MATCH_RATE = Number(args['match-rate']);
const PROCESSES = Number(args.processes);
// Page extraction costs ~100× the matching, so the page-fetch mode reads fewer feeds in the same time.
const FETCH_FEEDS = Number(args['fetch-feeds']);
const EVERY_FEEDS = Number(args['every-feeds']);
const PHASES = new Set(args.only.split(','));
const REPEAT = Math.max(1, Number(args.repeat));
const EVERY_REPEAT = Math.max(1, Number(args['every-repeat']));
// "Every item" feeds are numbered from here, outside the range that has syndicated copies.
const EVERY_FIRST_FEED = 100_000;
const TARGETS = { articlesPerS: 3000, fetchRatio: 0.7, emailVsRss2email: 2, webhooksPerS: 1000, redisBytesPerArticle: 1024 };

const exec = promisify(execFile);
const log = (s: string) => process.stderr.write(`${s}\n`);

const news = new News({ itemsPerFeed: ITEMS, copyShare: 0.03, copyFeeds: EVERY_FIRST_FEED });
const server = await startFeedServer(news);
const hooks = await startWebhookReceiver();
const smtp = await startSmtpSink();
const redisServer = await startManagedRedis();
const redis = new Redis(redisServer.url);
const outDir = args.out;
mkdirSync(outDir, { recursive: true });
const stderrLog = join(outDir, 'pipeline-newswatch.log');
let prefixCount = 0;
const nodeArgs = [...(args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${join(outDir, 'profiles')}`] : []), ...args['node-args'].split(' ').filter(Boolean)];

const settingsYaml = {
  // Every bench feed and page is on 127.0.0.1; in production they are spread over many hosts, so
  // the one host here gets the limits of many.
  hosts: { overrides: { '127.0.0.1': { concurrency: 100, minGap: '1ms' } } },
};

function subscriptions(ruleIds: string[], count: { webhook: number; email: number }): object[] {
  const total = count.webhook + count.email;
  return Array.from({ length: total }, (_, k) => ({
    id: `sub-${k}`,
    ...(k < count.webhook ? { webhook: { url: hooks.url, secret: 'whsec_' + Buffer.from(`bench-secret-${k}`).toString('base64') } } : { email: `reader${k}@bench.test` }),
    rules: ruleIds.filter((_, i) => i % total === k),
  }));
}

async function stats(children: NewswatchChild[]): Promise<ProcessStats[]> {
  return Promise.all(children.map((c) => c.ask<ProcessStats>({ cmd: 'stats' })));
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const completed = (s: ProcessStats[], queue: string) => sum(s.map((x) => x.completed[queue] ?? 0));

function latencies(first: Times, receivers: Receiver[]): number[] {
  const out: number[] = [];
  for (const r of receivers) for (const [key, at] of r.delivered) if (first.has(key)) out.push(at - first.get(key)!);
  return out;
}

interface RoundResult {
  round: string;
  articles: number;
  seconds: number;
  articlesPerS: number;
  matched: number;
  deliveries: number;
  repeats: number;
  latencyMs: { p50: number; p95: number; p99: number };
  newswatchCpuSPer1000: number;
  /** Of it, the main threads' (set beside the total, it shows whether one thread or the machine's CPU is the limit). */
  mainThreadCpuSPer1000: number;
  redisCpuSPer1000: number;
  /** Redis commands per article by command (INFO commandstats): calls, and µs of Redis CPU. */
  redisCommands: Record<string, { calls: number; usec: number }>;
  peakRssMB: number;
  failed: Record<string, number>;
  /** How busy each part was through the round, the benchmark's own servers included. */
  busy: Busy;
}

/** One round: every feed polled once at the current generation, until every queue is drained. */
async function pipelineRound(label: string, children: NewswatchChild[], feedIds: string[], queues: ReturnType<typeof openQueues>): Promise<RoundResult> {
  hooks.reset();
  smtp.reset();
  server.firstServed.clear();
  const before = await stats(children);
  const rBefore = await redisFigures(redis);
  const cBefore = await commandStats(redis);
  const elu0 = performance.eventLoopUtilization();
  const benchCpu0 = process.cpuUsage();
  const t0 = Date.now();
  await queues.poll!.addBulk(feedIds.map((feedId) => ({ name: 'poll', data: { feedId }, opts: { jobId: `bench-${feedId}-${t0}` } })));
  if (!(await waitDrained(queues, 600_000, 50))) throw new Error(`${label}: queues not drained: ${JSON.stringify(await depths(queues))}`);
  const after = await stats(children);
  const rAfter = await redisFigures(redis);
  const cAfter = await commandStats(redis);
  const t1 = Math.max(...after.map((s) => s.lastFinished));
  const articles = completed(after, 'article') - completed(before, 'article');
  const redisCommands: RoundResult['redisCommands'] = {};
  for (const [cmd, c] of Object.entries(cAfter)) {
    const calls = c.calls - (cBefore[cmd]?.calls ?? 0);
    if (calls > 0) redisCommands[cmd] = { calls: calls / articles, usec: (c.usec - (cBefore[cmd]?.usec ?? 0)) / articles };
  }
  const lat = latencies(server.firstServed, [hooks, smtp]);
  const [p50, p95, p99] = percentiles(lat, [50, 95, 99]);
  const failed: Record<string, number> = {};
  for (const s of after) for (const [q, n] of Object.entries(s.failed)) failed[q] = (failed[q] ?? 0) + n;
  return {
    round: label,
    articles,
    seconds: (t1 - t0) / 1000,
    articlesPerS: articles / ((t1 - t0) / 1000),
    matched: sum(after.map((s) => s.matched)) - sum(before.map((s) => s.matched)),
    deliveries: hooks.count + smtp.count,
    repeats: hooks.repeats + smtp.repeats,
    latencyMs: { p50: p50!, p95: p95!, p99: p99! },
    newswatchCpuSPer1000: ((sum(after.map((s) => s.cpuS)) - sum(before.map((s) => s.cpuS))) / articles) * 1000,
    mainThreadCpuSPer1000: ((sum(after.map((s) => s.mainThreadCpuS)) - sum(before.map((s) => s.mainThreadCpuS))) / articles) * 1000,
    redisCpuSPer1000: ((rAfter.cpuS - rBefore.cpuS) / articles) * 1000,
    redisCommands,
    peakRssMB: Math.max(...after.map((s) => s.peakRssMB)),
    failed,
    busy: { ...busyBetween(before, after, rBefore, rAfter, elu0, t1 - t0), benchCores: cpuSecondsSince(benchCpu0) / ((t1 - t0) / 1000) },
  };
}

/** CPU seconds (user + system) this process has used since `from`. */
function cpuSecondsSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
}

/** INFO commandstats: calls and µs per command (the bench's own INFO calls included, a few per round). */
async function commandStats(r: Redis): Promise<Record<string, { calls: number; usec: number }>> {
  const out: Record<string, { calls: number; usec: number }> = {};
  for (const m of (await r.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) out[m[1]!] = { calls: Number(m[2]), usec: Number(m[3]) };
  return out;
}

/** Bytes of the key families a setting caps, not the run's length: the recent articles. */
const CAPPED_FAMILIES = ['recentArticles', 'recentOrder'];
const cappedBytes = (families: Record<string, { bytes: number }>) => sum(CAPPED_FAMILIES.map((f) => families[f]?.bytes ?? 0));

/** Commands per item between two INFO commandstats readings, the costliest first. */
function commandsPer(before: Awaited<ReturnType<typeof commandStats>>, after: Awaited<ReturnType<typeof commandStats>>, items: number): { command: string; calls: number; usec: number }[] {
  return Object.entries(after)
    .map(([command, v]) => ({ command, calls: (v.calls - (before[command]?.calls ?? 0)) / items, usec: (v.usec - (before[command]?.usec ?? 0)) / items }))
    .filter((c) => c.calls > 0)
    .sort((a, b) => b.usec - a.usec);
}

/** Redis memory of one install: the keys with a TTL dropped and completed jobs kept by age removed. */
async function afterKeepWindows(queues: ReturnType<typeof openQueues>, prefix: string): Promise<void> {
  for (const name of ['article', 'deliver']) await queues[name]!.clean(0, 1_000_000, 'completed');
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length === 0) continue;
    const ttls = await Promise.all(keys.map((k) => redis.pttl(k)));
    const expiring = keys.filter((_, i) => ttls[i]! > 0);
    if (expiring.length) await redis.del(...expiring);
  } while (cursor !== '0');
}

interface BareRound {
  round: string;
  articles: number;
  articlesPerS: number;
  cpuSPer1000: number;
}

interface ModeResult {
  mode: string;
  /** The bare round beside each pipeline round (same index). */
  bare: BareRound[];
  rounds: RoundResult[];
  /** Warm rounds: median and range of end to end / bare, by wall clock and by CPU per article. */
  warmRatio: { wall: Spread; cpu: Spread };
  /**
   * used_memory growth per article. `cappedBytes`: the recent articles (for previews), which
   * `preview.maxArticles` caps whatever the run's length, so they are given apart as a size:
   * divided by a short run's articles they would read as a cost per article they are not.
   */
  redisBytesPerArticle: { afterRun: number; afterWindows: number; withoutCapped: number; cappedBytes: number };
  matchShare: number;
  /** Redis bytes by key family after the run (MEMORY USAGE), for the memory formula. */
  families: Record<string, { keys: number; bytes: number }>;
  feeds: number;
  articles: number;
  deliveries: number;
}

async function mode(name: 'nofetch' | 'fetch', rules: { id: string; query: string }[], firstGen: number): Promise<ModeResult> {
  const feeds = Array.from({ length: name === 'fetch' ? FETCH_FEEDS : FEEDS }, (_, n) => ({ id: `f${n}`, url: `${server.base}/f/${n}.xml`, interval: '1h', fetchArticle: name === 'fetch' }));
  const dir = writeConfigDir({ feeds, rules, subscriptions: subscriptions(rules.map((r) => r.id), { webhook: 20, email: 20 }), settings: settingsYaml });
  const prefix = `bench${++prefixCount}`;
  const env = { NEWSWATCH_CONFIG: dir, REDIS_URL: redisServer.url, SMTP_URL: smtp.url, NEWSWATCH_PREFIX: prefix };

  // Both processes live through the whole mode, so that neither pays a start-up the other does not.
  const bareChild = await forkNewswatch(env, stderrLog, nodeArgs, args.code, args.built);
  const children = await Promise.all(Array.from({ length: PROCESSES }, () => forkNewswatch(env, stderrLog, nodeArgs, args.code, args.built)));
  await Promise.all(children.map((c) => c.ask({ cmd: 'start' })));
  const queues = openQueues(redisServer.url, prefix);
  const memBefore = (await redisFigures(redis)).usedMemory;
  const bare: BareRound[] = [];
  const rounds: RoundResult[] = [];
  // Every round on a generation of its own: fresh items for the pipeline, and the feed server's
  // cache of rendered feeds helps neither side; each is rendered before its round is timed.
  let gen = firstGen;
  const feedNumbers = feeds.map((_, n) => n);
  const bareRound = async (label: string) => {
    server.prepare(feedNumbers, gen);
    server.generation = gen++;
    const r = await bareChild.ask<BareResult>({ cmd: 'bare' });
    bare.push({ round: label, articles: r.articles, articlesPerS: r.articles / ((r.finished - r.started) / 1000), cpuSPer1000: (r.cpuS / r.articles) * 1000 });
    log(`  ${label} bare: ${r.articles} articles, ${fmt(bare.at(-1)!.articlesPerS)}/s, ${fmt(bare.at(-1)!.cpuSPer1000, 3)} ms CPU each (load ${loadAverage()})`);
  };
  const pipeRound = async (label: string) => {
    server.prepare(feedNumbers, gen);
    server.generation = gen++;
    const r = await pipelineRound(label, children, feeds.map((f) => f.id), queues);
    rounds.push(r);
    log(`  ${label} pipeline: ${r.articles} articles in ${fmt(r.seconds)} s, ${fmt(r.articlesPerS)}/s, ${fmt(r.newswatchCpuSPer1000, 3)} ms CPU each, ${fmt(r.mainThreadCpuSPer1000, 3)} of it the main thread's (load ${loadAverage()})`);
    const b = r.busy;
    const mainCores = (r.mainThreadCpuSPer1000 * r.articlesPerS) / 1000;
    log(`    busy: Newswatch event loop ${b.newswatchLoop === undefined ? 'n/a' : fmt(b.newswatchLoop * 100)} %; cores: Newswatch ${fmt(b.newswatchCores, 2)} (main thread ${fmt(mainCores, 2)}), Redis ${fmt(b.redisCores, 2)}, the benchmark's servers ${fmt(b.benchCores ?? NaN, 2)}`);
  };
  log(`[${name}] bare work and pipeline in ${PROCESSES} process(es): cold, then ${REPEAT} warm pair(s)`);
  await bareRound('cold');
  await pipeRound('cold');
  for (let i = 1; i <= REPEAT; i++) {
    const label = `warm ${i}`;
    if (i % 2 === 1) {
      await bareRound(label);
      await pipeRound(label);
    } else {
      await pipeRound(label);
      await bareRound(label);
    }
  }
  await bareChild.close();
  const articles = sum(rounds.map((r) => r.articles));
  const memAfter = (await redisFigures(redis)).usedMemory;
  const families = await memoryByFamily(redis, prefix);
  await Promise.all(children.map((c) => c.close()));
  await afterKeepWindows(queues, prefix);
  const memWindows = (await redisFigures(redis)).usedMemory;
  await Promise.all(Object.values(queues).map((q) => q.close()));
  await redis.flushdb();
  const warm = rounds.map((r, i) => ({ r, b: bare[i]! })).filter(({ r }) => r.round !== 'cold');
  return {
    mode: name,
    bare,
    rounds,
    warmRatio: {
      wall: spread(warm.map(({ r, b }) => r.articlesPerS / b.articlesPerS)),
      cpu: spread(warm.map(({ r, b }) => b.cpuSPer1000 / r.newswatchCpuSPer1000)),
    },
    redisBytesPerArticle: {
      afterRun: (memAfter - memBefore) / articles,
      afterWindows: (memWindows - memBefore) / articles,
      withoutCapped: (memAfter - memBefore - cappedBytes(families)) / articles,
      cappedBytes: cappedBytes(families),
    },
    matchShare: sum(rounds.map((r) => r.matched)) / articles,
    families,
    feeds: feeds.length,
    articles,
    deliveries: sum(rounds.map((r) => r.deliveries)),
  };
}

interface Spread {
  median: number;
  min: number;
  max: number;
}

function spread(xs: number[]): Spread {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)! };
}

const loadAverage = () => loadavg().map((l) => l.toFixed(1)).join(' ');

interface EveryItemResult {
  channel: 'email' | 'webhook';
  /** Whose Newswatch: this checkout's, or the --baseline one's. */
  code: 'this' | 'baseline';
  /** The load average (1, 5, 15 min) when the pass ended. */
  load: string;
  items: number;
  delivered: number;
  seconds: number;
  perS: number;
  connections: number;
  cpuMsPerItem: number;
  redisCpuMsPerItem: number;
  deliverStagePerS?: number;
  deliverStageCount?: number;
  /**
   * Stories the pass's items (first) and the deliver stage's (second) made: one alert each, so
   * fewer deliveries than stories would be alerts lost, fewer stories than items items that
   * story dedup took for another's copy.
   */
  stories?: [number, number];
  deliverStageCpuMsPerItem?: number;
  deliverStageRedisCpuMsPerItem?: number;
  /**
   * Where the deliver stage's wall clock goes: busy share of Newswatch's event loop and of this
   * process's (the receivers), cores of CPU used by Newswatch and by Redis, and the mean number
   * of deliveries in flight (absent for a baseline checkout that does not report them).
   */
  deliverStageBusy?: Busy;
  /** The same for the whole pass (in flight: deliveries). */
  busy?: Busy;
  /** Redis commands per item over the whole pass, by µs of Redis CPU (those a script runs counted too, inside its EVALSHA's µs). */
  redisCommands?: { command: string; calls: number; usec: number }[];
  rss2email?: { seconds: number; perS: number; delivered: number; connections: number; cpuMsPerItem: number } | { skipped: string };
}

interface Busy {
  newswatchLoop?: number;
  receiverLoop: number;
  newswatchCores: number;
  redisCores: number;
  inFlight?: number;
  /** This process's (the feed server, receivers and SMTP sink share the machine with Newswatch). */
  benchCores?: number;
}

/** Busy shares between two stats of the children (see EveryItemResult.deliverStageBusy). */
function busyBetween(s0: ProcessStats[], s1: ProcessStats[], redis0: { cpuS: number }, redis1: { cpuS: number }, receiverElu: ReturnType<typeof performance.eventLoopUtilization>, wallMs: number): Busy {
  const loops = s0.map((a, i) => [a.elu, s1[i]!.elu] as const).filter((x): x is [NonNullable<ProcessStats['elu']>, NonNullable<ProcessStats['elu']>] => !!x[0] && !!x[1]);
  // A process that reports its event loop counts jobs in flight; no deliver entry yet is none so far.
  const inFlightMs = (s: ProcessStats) => (s.elu ? (s.inFlightMs?.deliver ?? 0) : NaN);
  const inFlight = s0.map((a, i) => inFlightMs(s1[i]!) - inFlightMs(a));
  return {
    newswatchLoop: loops.length ? sum(loops.map(([a, b]) => performance.eventLoopUtilization(b, a).utilization)) / loops.length : undefined,
    receiverLoop: performance.eventLoopUtilization(receiverElu).utilization,
    newswatchCores: (sum(s1.map((s) => s.cpuS)) - sum(s0.map((s) => s.cpuS))) / (wallMs / 1000),
    redisCores: (redis1.cpuS - redis0.cpuS) / (wallMs / 1000),
    inFlight: inFlight.every(Number.isFinite) ? sum(inFlight) / wallMs : undefined,
  };
}

const busyLine = (label: string, b: Busy) =>
  `\n  ${label} busy: Newswatch event loop ${b.newswatchLoop === undefined ? 'n/a' : fmt(b.newswatchLoop * 100)} %, receivers' ${fmt(b.receiverLoop * 100)} %; CPU ${fmt(b.newswatchCores, 2)} core(s) Newswatch, ${fmt(b.redisCores, 2)} Redis; ${b.inFlight === undefined ? 'n/a' : fmt(b.inFlight, 1)} deliveries in flight on average`;

async function everyItem(channel: 'email' | 'webhook', gen: number, checkout?: string): Promise<EveryItemResult> {
  const feeds = Array.from({ length: EVERY_FEEDS }, (_, n) => ({ id: `e${n}`, url: `${server.base}/f/${EVERY_FIRST_FEED + n}.xml`, interval: '1h', tags: ['all'] }));
  const target = channel === 'email' ? { email: 'reader@bench.test' } : { webhook: { url: hooks.url, secret: 'whsec_' + Buffer.from('bench-secret').toString('base64') } };
  const dir = writeConfigDir({ feeds, rules: [{ id: 'all', query: 'feed:all' }], subscriptions: [{ id: 'every', ...target, rules: ['all'] }], settings: settingsYaml });
  const prefix = `bench${++prefixCount}`;
  const env = { NEWSWATCH_CONFIG: dir, REDIS_URL: redisServer.url, SMTP_URL: smtp.url, NEWSWATCH_PREFIX: prefix };
  const receiver = channel === 'email' ? smtp : hooks;
  const feedNumbers = feeds.map((_, n) => EVERY_FIRST_FEED + n);
  server.prepare(feedNumbers, gen);
  server.generation = gen;
  const items = EVERY_FEEDS * ITEMS;

  const children = await Promise.all(Array.from({ length: PROCESSES }, () => forkNewswatch(env, stderrLog, nodeArgs, checkout, args.built)));
  await Promise.all(children.map((c) => c.ask({ cmd: 'start' })));
  const queues = openQueues(redisServer.url, prefix);
  receiver.reset();
  const beforeStats = await stats(children);
  const redisBefore = await redisFigures(redis);
  const cmd0 = await commandStats(redis);
  const elu0 = performance.eventLoopUtilization();
  const t0 = Date.now();
  await queues.poll!.addBulk(feeds.map((f) => ({ name: 'poll', data: { feedId: f.id }, opts: { jobId: `every-${f.id}` } })));
  if (!(await waitDrained(queues, 600_000, 50))) throw new Error(`every item (${channel}): not drained`);
  const afterStats = await stats(children);
  const t1 = Math.max(...afterStats.map((s) => s.lastFinished));
  const cpuS = sum(afterStats.map((s) => s.cpuS)) - sum(beforeStats.map((s) => s.cpuS));
  const result: EveryItemResult = {
    channel,
    code: checkout ? 'baseline' : 'this',
    load: '',
    items,
    delivered: receiver.delivered.size,
    seconds: (t1 - t0) / 1000,
    perS: receiver.delivered.size / ((t1 - t0) / 1000),
    cpuMsPerItem: (cpuS / receiver.delivered.size) * 1000,
    redisCpuMsPerItem: (((await redisFigures(redis)).cpuS - redisBefore.cpuS) / receiver.delivered.size) * 1000,
    connections: receiver.connections,
  };
  result.busy = busyBetween(beforeStats, afterStats, redisBefore, await redisFigures(redis), elu0, t1 - t0);
  const cmd1 = await commandStats(redis);
  result.redisCommands = commandsPer(cmd0, cmd1, items);

  const storiesFirst = (await memoryByFamily(redis, prefix)).story?.keys ?? 0;

  // The deliver stage alone: a full queue released at once (another generation, new stories).
  server.prepare(feedNumbers, gen + 1);
  server.generation = gen + 1;
  await Promise.all(children.map((c) => c.ask({ cmd: 'pause', queue: 'deliver' })));
  await queues.poll!.addBulk(feeds.map((f) => ({ name: 'poll', data: { feedId: f.id }, opts: { jobId: `every2-${f.id}` } })));
  await waitDrained({ poll: queues.poll!, article: queues.article! }, 600_000, 50);
  receiver.reset();
  const s0 = await stats(children);
  const r0 = await redisFigures(redis);
  const e0 = performance.eventLoopUtilization();
  const d0 = Date.now();
  await Promise.all(children.map((c) => c.ask({ cmd: 'resume', queue: 'deliver' })));
  if (!(await waitDrained(queues, 600_000, 50))) throw new Error('deliver stage: not drained');
  const s1 = await stats(children);
  const d1 = Math.max(...s1.map((s) => s.lastFinished));
  result.deliverStagePerS = receiver.count / ((d1 - d0) / 1000);
  result.deliverStageCount = receiver.count;
  result.deliverStageCpuMsPerItem = ((sum(s1.map((s) => s.cpuS)) - sum(s0.map((s) => s.cpuS))) / receiver.count) * 1000;
  const r1 = await redisFigures(redis);
  result.deliverStageRedisCpuMsPerItem = ((r1.cpuS - r0.cpuS) / receiver.count) * 1000;
  result.deliverStageBusy = busyBetween(s0, s1, r0, r1, e0, d1 - d0);
  // Counted after the stage's Redis CPU is read: MEMORY USAGE of every key is Redis work of its own.
  result.stories = [storiesFirst, ((await memoryByFamily(redis, prefix)).story?.keys ?? 0) - storiesFirst];
  result.load = loadAverage();
  await Promise.all(children.map((c) => c.close()));
  await Promise.all(Object.values(queues).map((q) => q.close()));
  await redis.flushdb();

  if (channel === 'email') result.rss2email = await rss2email(feeds.map((f) => f.url));
  return result;
}

/** rss2email's first run over the same feeds sends every item; timed as a whole process. */
async function rss2email(urls: string[]): Promise<EveryItemResult['rss2email']> {
  try {
    await exec('r2e', ['--version']);
  } catch {
    return { skipped: 'rss2email not installed (apt-get install rss2email)' };
  }
  const dir = mkdtempSync(join(tmpdir(), 'newswatch-r2e-'));
  const cfg = join(dir, 'r2e.cfg');
  const data = join(dir, 'r2e.json');
  const port = new URL(smtp.url).port;
  await exec('r2e', ['-c', cfg, '-d', data, 'new', 'reader@bench.test']);
  writeFileSync(cfg, `[DEFAULT]\nfrom = bench@bench.test\nto = reader@bench.test\nemail-protocol = smtp\nsmtp-server = 127.0.0.1\nsmtp-port = ${port}\nsmtp-auth = False\nsmtp-ssl = False\nfeed-timeout = 30\n`);
  const outlines = urls.map((url, i) => `<outline type="rss" text="f${i}" title="f${i}" xmlUrl="${url}"/>`).join('');
  writeFileSync(join(dir, 'feeds.opml'), `<?xml version="1.0"?><opml version="2.0"><head><title>bench</title></head><body>${outlines}</body></opml>`);
  await exec('r2e', ['-c', cfg, '-d', data, 'opmlimport', join(dir, 'feeds.opml')]);
  smtp.reset();
  const t0 = Date.now();
  // bash's `times` prints the CPU time of its children: rss2email's, with the Python start-up.
  const { stdout } = await exec('bash', ['-c', 'r2e -c "$1" -d "$2" run >/dev/null 2>&1; times', 'bash', cfg, data], { maxBuffer: 64 * 2 ** 20 });
  const seconds = (Date.now() - t0) / 1000;
  const [user, sys] = [...(stdout.trim().split('\n').at(-1) ?? '').matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  const delivered = smtp.delivered.size;
  return { seconds, perS: delivered / seconds, delivered, connections: smtp.connections, cpuMsPerItem: (((user ?? 0) + (sys ?? 0)) / delivered) * 1000 };
}

// ---------------------------------------------------------------------------------------------
const results: Record<string, unknown> = { startedAt: new Date().toISOString(), node: process.version, feeds: FEEDS, itemsPerFeed: ITEMS, rules: RULES, processes: PROCESSES, built: args.built, code: args.code ?? null, baseline: args.baseline ?? null, nodeArgs: args['node-args'] };
try {
  log('calibrating the rule set');
  const sample: NewsItem[] = Array.from({ length: FEEDS }, (_, f) => news.items(f, 0)).flat();
  const calibrated = news.calibratedRules(RULES, MATCH_RATE, sample);
  const rules = calibrated.rules.map((r) => ({ id: r.id, query: r.query! }));
  log(`  ${rules.length} rules, ${(calibrated.rate * 100).toFixed(2)} % of calibration items match (target ${MATCH_RATE * 100} %)`);
  results.calibration = { rules: rules.length, matchShare: calibrated.rate };

  const modes: ModeResult[] = [];
  if (PHASES.has('nofetch')) modes.push(await mode('nofetch', rules, 0));
  // Generations far apart: each mode's rounds take several.
  if (PHASES.has('fetch')) modes.push(await mode('fetch', rules, 1000));
  const every: EveryItemResult[] = [];
  const checkouts = args.baseline ? [undefined, args.baseline] : [undefined];
  // Each pass uses generations of its own: new stories, so nothing counts as already sent.
  let gen = 10;
  for (let n = 0; n < EVERY_REPEAT; n++) {
    for (const checkout of checkouts) {
      if (PHASES.has('email')) every.push(await everyItem('email', (gen += 2), checkout));
      if (PHASES.has('webhook')) every.push(await everyItem('webhook', (gen += 2), checkout));
    }
  }
  results.modes = modes;
  results.everyItem = every;

  // -------------------------------------------------------------------------------------------
  const out: string[] = [];
  out.push(`bench:pipeline — ${FEEDS} feeds × ${ITEMS} items, ${rules.length} rules (${fmt(calibrated.rate * 100)} % matching), 20 webhook + 20 email subscriptions, ${PROCESSES} Newswatch process(es) ${args.built ? 'built (dist/)' : 'under tsx'}, node ${process.version}${args.code ? `; no-fetch and page-fetch modes: Newswatch of ${args.code}` : ''}`);
  // The wall-clock rate depends on what else the machine runs; the CPU-bound rate is what one
  // Newswatch process and one Redis could do with a core each: 1000 / the larger CPU ms per article.
  const rows: (string | number)[][] = [['mode / round', 'articles', 'art/s', 'bare art/s', 'ratio', 'bare cpu ms/art', 'p50 ms', 'p95 ms', 'p99 ms', 'NW cpu ms/art', 'Redis cpu ms/art', 'cpu-bound art/s', 'peak RSS MB', 'deliveries', 'repeats']];
  for (const m of modes) {
    for (const [i, r] of m.rounds.entries()) {
      const bare = m.bare[i]!;
      rows.push([`${m.mode} ${r.round}`, r.articles, fmt(r.articlesPerS), fmt(bare.articlesPerS), fmt(r.articlesPerS / bare.articlesPerS, 2), fmt(bare.cpuSPer1000, 3), fmt(r.latencyMs.p50), fmt(r.latencyMs.p95), fmt(r.latencyMs.p99), fmt(r.newswatchCpuSPer1000, 3), fmt(r.redisCpuSPer1000, 3), fmt(1000 / Math.max(r.newswatchCpuSPer1000 / PROCESSES, r.redisCpuSPer1000)), fmt(r.peakRssMB), r.deliveries, r.repeats]);
    }
  }
  out.push(table(rows));
  out.push(`load average at the end: ${loadAverage()}`);
  for (const m of modes) {
    const { wall, cpu } = m.warmRatio;
    out.push(`${m.mode}: end to end / bare over ${m.rounds.length - 1} warm pair(s): wall ${fmt(wall.median, 2)} (${fmt(wall.min, 2)}–${fmt(wall.max, 2)}), CPU per article ${fmt(cpu.median, 2)} (${fmt(cpu.min, 2)}–${fmt(cpu.max, 2)})`);
    const warmRounds = m.rounds.filter((r) => r.round !== 'cold');
    const cmds = new Map<string, { calls: number; usec: number }>();
    for (const r of warmRounds) {
      for (const [cmd, c] of Object.entries(r.redisCommands)) {
        const t = cmds.get(cmd) ?? { calls: 0, usec: 0 };
        cmds.set(cmd, { calls: t.calls + c.calls / warmRounds.length, usec: t.usec + c.usec / warmRounds.length });
      }
    }
    const top = [...cmds].sort((a, b) => b[1].usec - a[1].usec).slice(0, 12);
    out.push(`  Redis commands per article, warm: ${fmt(sum([...cmds.values()].map((c) => c.calls)), 3)} calls, ${fmt(sum([...cmds.values()].map((c) => c.usec)))} µs in commands`);
    out.push(table([['  command', 'calls/art', 'µs/art'], ...top.map(([cmd, c]) => [`  ${cmd}`, fmt(c.calls, 3), fmt(c.usec, 3)])]));
    out.push(`${m.mode}: Redis bytes per article ${fmt(m.redisBytesPerArticle.afterRun)} after the run, ${fmt(m.redisBytesPerArticle.afterWindows)} after the keep windows; without the recent articles (capped by preview.maxArticles, ${fmt(m.redisBytesPerArticle.cappedBytes / 1e6)} MB) ${fmt(m.redisBytesPerArticle.withoutCapped)} after the run; ${fmt(m.matchShare * 100)} % of articles matched a rule`);
    const fam = Object.entries(m.families).sort((a, b) => b[1].bytes - a[1].bytes);
    out.push(table([['  key family', 'keys', 'bytes', 'per article', 'per feed', 'per delivery'], ...fam.map(([name, f]) => [`  ${name}`, f.keys, f.bytes, fmt(f.bytes / m.articles), fmt(f.bytes / m.feeds), fmt(f.bytes / Math.max(1, m.deliveries))])]));
    const failures = m.rounds.filter((r) => Object.keys(r.failed).length);
    if (failures.length) out.push(`  FAILED JOBS: ${JSON.stringify(failures.map((r) => r.failed))}`);
  }
  for (const e of every) {
    let line = `every item by ${e.channel}${e.code === 'baseline' ? ' (baseline)' : ''}: ${e.delivered}/${e.items} in ${fmt(e.seconds)} s = ${fmt(e.perS)}/s end to end over ${e.connections} connection(s), ${fmt(e.cpuMsPerItem)} ms Newswatch + ${fmt(e.redisCpuMsPerItem)} ms Redis CPU per item (load ${e.load})`;
    if (e.stories) line += `\n  stories: ${e.stories[0]} from the pass's ${e.items} items, ${e.stories[1]} from the deliver stage's (one alert each)`;
    if (e.deliverStagePerS !== undefined) line += `\n  deliver stage alone: ${e.deliverStageCount} in a burst at ${fmt(e.deliverStagePerS)}/s, ${fmt(e.deliverStageCpuMsPerItem)} ms Newswatch + ${fmt(e.deliverStageRedisCpuMsPerItem)} ms Redis CPU each (cpu-bound ${fmt(1000 / e.deliverStageCpuMsPerItem!)}/s per core)`;
    if (e.deliverStageBusy) line += busyLine('deliver stage', e.deliverStageBusy);
    if (e.busy) line += busyLine('end to end', e.busy);
    if (e.redisCommands) line += `\n  Redis commands per item, end to end (calls, µs; a script's own commands inside its evalsha): ${e.redisCommands.slice(0, 8).map((c) => `${c.command} ${fmt(c.calls)}, ${fmt(c.usec)}`).join('; ')}`;
    if (e.rss2email && 'skipped' in e.rss2email) line += `; rss2email: ${e.rss2email.skipped}`;
    else if (e.rss2email) line += `\n  rss2email: ${e.rss2email.delivered} in ${fmt(e.rss2email.seconds)} s = ${fmt(e.rss2email.perS)}/s over ${e.rss2email.connections} connection(s), ${fmt(e.rss2email.cpuMsPerItem)} ms CPU per item`;
    out.push(line);
  }

  out.push('\ntargets (ratios within this run)');
  const check = (label: string, value: number | undefined, target: string, ok: boolean) => out.push(`  ${label}: ${fmt(value)} (target ${target}) ${value === undefined || Number.isNaN(value) ? 'n/a' : ok ? 'MET' : 'NOT MET'}`);
  // Stricter readings of a target beside it (by CPU where the target is a rate, Redis bytes with
  // what a setting caps whatever the run's length): shown against the same figure, not targets.
  const beside = (label: string, value: number | undefined, target: string, ok: boolean) => out.push(`    beside it, ${label}: ${fmt(value)} (${target} ${value === undefined || Number.isNaN(value) ? 'n/a' : ok ? 'reached' : 'not reached'}; not a target)`);
  const warm = (m: string) => modes.find((x) => x.mode === m);
  const nf = warm('nofetch');
  // The warm round of median rate stands for the mode.
  const nfWarm = nf?.rounds.filter((r) => r.round !== 'cold').sort((a, b) => a.articlesPerS - b.articlesPerS)[(nf.rounds.length - 1) >> 1];
  if (nfWarm) {
    check('no fetch, warm, articles/s end to end', nfWarm.articlesPerS, `≥ ${TARGETS.articlesPerS}`, nfWarm.articlesPerS >= TARGETS.articlesPerS);
    const bound = 1000 / Math.max(nfWarm.newswatchCpuSPer1000 / PROCESSES, nfWarm.redisCpuSPer1000);
    beside('articles/s cpu-bound (a core each for Newswatch and Redis)', bound, `≥ ${TARGETS.articlesPerS}`, bound >= TARGETS.articlesPerS);
  }
  const f = warm('fetch');
  if (f) {
    check('page fetch, warm, end to end / bare work (median of the pairs)', f.warmRatio.wall.median, `≥ ${TARGETS.fetchRatio}`, f.warmRatio.wall.median >= TARGETS.fetchRatio);
    beside('bare CPU / pipeline CPU per article (median)', f.warmRatio.cpu.median, `≥ ${TARGETS.fetchRatio}`, f.warmRatio.cpu.median >= TARGETS.fetchRatio);
  }
  // With --every-repeat, the median pass of this checkout (by items/s).
  const median = (channel: string) => {
    const passes = every.filter((e) => e.channel === channel && e.code === 'this').sort((a, b) => a.perS - b.perS);
    return passes[Math.floor((passes.length - 1) / 2)];
  };
  const email = median('email');
  if (email?.rss2email && !('skipped' in email.rss2email)) {
    check('email every item / rss2email, items/s', email.perS / email.rss2email.perS, `≥ ${TARGETS.emailVsRss2email}`, email.perS / email.rss2email.perS >= TARGETS.emailVsRss2email);
    const nw = email.cpuMsPerItem + email.redisCpuMsPerItem;
    beside('items per CPU second (Newswatch + Redis; rss2email runs on one core)', email.rss2email.cpuMsPerItem / nw, `≥ ${TARGETS.emailVsRss2email}`, email.rss2email.cpuMsPerItem / nw >= TARGETS.emailVsRss2email);
  }
  const hook = median('webhook');
  if (hook) {
    check('webhooks/s, deliver stage', hook.deliverStagePerS, `≥ ${TARGETS.webhooksPerS}`, (hook.deliverStagePerS ?? 0) >= TARGETS.webhooksPerS);
    const bound = 1000 / Math.max(hook.deliverStageCpuMsPerItem! / PROCESSES, hook.deliverStageRedisCpuMsPerItem!);
    beside('cpu-bound', bound, `≥ ${TARGETS.webhooksPerS}`, bound >= TARGETS.webhooksPerS);
  }
  for (const m of modes) {
    // The recent articles (previews) are capped by count (preview.maxArticles), not per article:
    // their few MB divided by a short run's articles is not a cost per article.
    const growth = m.redisBytesPerArticle.withoutCapped;
    check(`${m.mode}: Redis bytes per article after the run, without the capped recent articles (${fmt(m.redisBytesPerArticle.cappedBytes / 1e6)} MB)`, growth, `≤ ${TARGETS.redisBytesPerArticle}`, growth <= TARGETS.redisBytesPerArticle);
    beside('with them', m.redisBytesPerArticle.afterRun, `≤ ${TARGETS.redisBytesPerArticle}`, m.redisBytesPerArticle.afterRun <= TARGETS.redisBytesPerArticle);
  }
  if (nfWarm) {
    const limit = 1000 / nfWarm.redisCpuSPer1000;
    out.push(`  Redis CPU ${fmt(nfWarm.redisCpuSPer1000, 3)} ms per article (no fetch, warm): one Redis core saturates at about ${fmt(limit)} articles/s`);
    results.redisLimitArticlesPerS = limit;
  }
  console.log(out.join('\n'));
} finally {
  const file = join(outDir, `pipeline-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  log(`results: ${file}`);
  redis.disconnect();
  await Promise.all([server.close(), hooks.close(), smtp.close()]);
  await redisServer.stop();
}
