// Soak (issue 14): `npm run soak -- --minutes N [options]`. The full worker (`start`'s workers
// and feed schedulers) in a child process against the benchmark's local servers and a throwaway
// Redis, with every feed moving on by --new-per-poll items at every poll. Once a minute (every
// --sample-seconds) it prints the worker's RSS and CPU, Redis memory and CPU, queue depths, how
// late polls started and first-sighting-to-delivery latency (counts are per sample). At the end
// it checks, after the warm-up, that RSS and Redis memory stay flat, that no poll started more
// than --max-lag late and that the queues do not grow. Flat means no trend: the minutes after
// the warm-up are cut into three windows in a row, and each window's median must be within 10 %
// of the first window's. Single samples are not compared, because RSS swings with garbage
// collection and with idle parsing threads retiring (a sawtooth of ±15 % that comes back, in
// 30-minute runs), and a leak shows as rising medians; the single-sample range is printed beside
// the check. Exit 3 when a check fails (other non-zero codes are crashes).
//
// Every keep window (job ids, story dedup, seen items) is shrunk to --keep-window so that Redis
// reaches its steady state within the warm-up: with the real windows (3 to 30 days) memory grows
// for days by design, and a leak could not be told from it. The window must end within the
// warm-up: the first polls read every item of every feed (200 feeds: 10,000 articles in the
// first minute), and what they leave expires one keep window later. A short run (CI's three
// minutes, one of warm-up) takes `--keep-window 30s --sample-seconds 15`, so that its two minutes
// after the warm-up are eight samples in three windows, not two single samples.
//
// The same script checks polling at scale: `--feeds 10000 --interval 5m --new-per-poll 0 --items 1
// --minutes 8 --warmup 5` keeps every feed answering 304 and reports CPU per core and lateness;
// `--feed-latency 250ms` makes the feed server answer as slowly as one across the internet.
//
// The worker runs from TypeScript source under tsx unless --built (the compiled dist/ of `npm run
// build`, as `npm start` runs it: build first); --baseline <checkout> runs that checkout's worker
// instead, for before/after runs of one command. The GC column is the main thread's garbage
// collection pauses, in % of the minute (wall clock, so load inflates it).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { parseDuration } from '../src/config/duration.js';
import { startManagedRedis } from '../src/queue/managed-redis.js';
import { News } from './lib/news.js';
import { startFeedServer, startSmtpSink, startWebhookReceiver } from './lib/servers.js';
import { depths, fmt, forkNewswatch, openQueues, percentiles, redisFigures, table, writeConfigDir } from './lib/measure.js';
import type { ProcessStats } from './lib/newswatch-process.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    warmup: { type: 'string' },
    feeds: { type: 'string', default: '200' },
    items: { type: 'string', default: '50' },
    'new-per-poll': { type: 'string', default: '5' },
    interval: { type: 'string', default: '1m' },
    rules: { type: 'string', default: '1000' },
    'keep-window': { type: 'string', default: '2m' },
    'max-lag': { type: 'string', default: '30' },
    'sample-seconds': { type: 'string', default: '60' },
    // How long the feed server takes to answer, as a server across the internet would.
    'feed-latency': { type: 'string' },
    // Polls in flight in the worker; default the worker's own.
    'poll-concurrency': { type: 'string' },
    out: { type: 'string', default: join(import.meta.dirname, 'results') },
    // The worker as `npm start` runs it: the compiled JavaScript of `npm run build`, without tsx.
    built: { type: 'boolean', default: false },
    // Another checkout's worker (say main at an earlier commit), to compare in alternating runs.
    baseline: { type: 'string' },
    // Flags for the worker's node, space-separated: --node-args="--cpu-prof --cpu-prof-dir=/tmp/profiles".
    'node-args': { type: 'string', default: '' },
  },
});
const MINUTES = Number(args.minutes);
const WARMUP = Number(args.warmup ?? Math.max(1, Math.round(MINUTES / 3)));
const FEEDS = Number(args.feeds);
const NEW_PER_POLL = Number(args['new-per-poll']);
const SAMPLE_MS = Number(args['sample-seconds']) * 1000;
const MAX_LAG_S = Number(args['max-lag']);
const KEEP_MS = parseDuration(args['keep-window']) ?? 120_000;
mkdirSync(args.out, { recursive: true });

const log = (s: string) => process.stderr.write(`${s}\n`);
const news = new News({ itemsPerFeed: Number(args.items), copyShare: 0.03, copyFeeds: FEEDS });
const server = await startFeedServer(news, { newPerPoll: NEW_PER_POLL, latencyMs: parseDuration(args['feed-latency'] ?? '') ?? 0 });
const hooks = await startWebhookReceiver();
const smtp = await startSmtpSink();
const redisServer = await startManagedRedis();
const redis = new Redis(redisServer.url);
const prefix = 'soak';
const queues = openQueues(redisServer.url, prefix);

interface Sample {
  minute: number;
  rssMB: number;
  heapMB: number;
  cpuPctOfCore: number;
  /** Main-thread garbage collection pauses, % of the minute. */
  gcPct: number;
  redisMB: number;
  redisCpuPct: number;
  depths: Record<string, number>;
  polls: number;
  pollLagP95S: number;
  pollLagMaxS: number;
  articles: number;
  deliveries: number;
  latencyP95S: number;
}
const samples: Sample[] = [];
let failed = false;

try {
  log('calibrating the rule set');
  const { rules } = news.calibratedRules(Number(args.rules), 0.02, Array.from({ length: Math.min(FEEDS, 200) }, (_, f) => news.items(f, 0)).flat());
  const subs = Array.from({ length: 40 }, (_, k) => ({
    id: `sub-${k}`,
    ...(k < 20 ? { webhook: { url: hooks.url } } : { email: `reader${k}@bench.test` }),
    rules: rules.filter((_, i) => i % 40 === k).map((r) => r.id),
  }));
  const dir = writeConfigDir({
    feeds: Array.from({ length: FEEDS }, (_, n) => ({ id: `f${n}`, url: `${server.base}/f/${n}.xml`, interval: args.interval })),
    rules: rules.map((r) => ({ id: r.id, query: r.query })),
    subscriptions: subs,
    settings: { hosts: { overrides: { '127.0.0.1': { concurrency: 100, minGap: '1ms' } } } },
  });
  const child = await forkNewswatch(
    { NEWSWATCH_CONFIG: dir, REDIS_URL: redisServer.url, SMTP_URL: smtp.url, NEWSWATCH_PREFIX: prefix, BENCH_KEEP_WINDOW_MS: String(KEEP_MS), ...(args['poll-concurrency'] ? { BENCH_POLL_CONCURRENCY: args['poll-concurrency'] } : {}) },
    join(args.out, 'soak-newswatch.log'),
    args['node-args'].split(' ').filter(Boolean),
    args.baseline,
    args.built,
  );
  log(`worker: ${args.baseline ?? 'this checkout'}, ${args.built ? 'built (dist/)' : 'from TypeScript source (tsx)'}`);
  log(`soak: ${FEEDS} feeds every ${args.interval}, ${NEW_PER_POLL} new items per poll, ${rules.length} rules, 40 subscriptions, keep windows ${args['keep-window']}, feeds answer after ${args['feed-latency'] ?? '0 ms'}, ${MINUTES} min (warm-up ${WARMUP})`);
  const starting = Date.now();
  await child.ask({ cmd: 'start', schedulers: true });
  log(`started in ${fmt((Date.now() - starting) / 1000)} s (workers and ${FEEDS} feed schedulers)`);

  let prev = { at: Date.now(), stats: await child.ask<ProcessStats>({ cmd: 'stats' }), redis: await redisFigures(redis), deliveries: 0 };
  const rows: (string | number)[][] = [['min', 'RSS MB', 'heap MB', 'NW cpu %', 'GC %', 'Redis MB', 'Redis cpu %', 'waiting poll/article/deliver', 'polls', 'poll lag p95/max s', 'articles', 'deliveries', 'latency p95 s']];
  // A sample every --sample-seconds (default a minute) for --minutes; `minute` is the time
  // since start at which it was taken, in minutes.
  const sampleCount = Math.max(1, Math.round((MINUTES * 60_000) / SAMPLE_MS));
  for (let n = 1; n <= sampleCount; n++) {
    const minute = Number(((n * SAMPLE_MS) / 60_000).toFixed(2));
    await new Promise((r) => setTimeout(r, SAMPLE_MS));
    const now = Date.now();
    const stats = await child.ask<ProcessStats>({ cmd: 'stats' });
    const rf = await redisFigures(redis);
    const d = await depths(queues, false);
    const deliveries = hooks.count + smtp.count;
    const recent: number[] = [];
    for (const r of [hooks, smtp]) {
      for (const [key, at] of r.delivered) {
        if (at > prev.at && server.firstServed.has(key)) recent.push(at - server.firstServed.get(key)!);
      }
    }
    // Forget what is older than a few minutes: the harness's own maps must not grow for hours.
    for (const m of [hooks.delivered, smtp.delivered, server.firstServed]) for (const [k, at] of m) if (at < now - 5 * 60_000) m.delete(k);
    const [lagP95, lagMax] = percentiles(stats.pollLagsMs, [95, 100]);
    const s: Sample = {
      minute,
      rssMB: stats.rssMB,
      heapMB: stats.heapMB,
      cpuPctOfCore: ((stats.cpuS - prev.stats.cpuS) / ((now - prev.at) / 1000)) * 100,
      gcPct: ((stats.gcS - prev.stats.gcS) / ((now - prev.at) / 1000)) * 100,
      redisMB: rf.usedMemory / 2 ** 20,
      redisCpuPct: ((rf.cpuS - prev.redis.cpuS) / ((now - prev.at) / 1000)) * 100,
      depths: d,
      polls: (stats.completed.poll ?? 0) - (prev.stats.completed.poll ?? 0),
      pollLagP95S: (lagP95 ?? 0) / 1000,
      pollLagMaxS: (lagMax ?? 0) / 1000,
      articles: (stats.completed.article ?? 0) - (prev.stats.completed.article ?? 0),
      deliveries: deliveries - prev.deliveries,
      latencyP95S: (percentiles(recent, [95])[0] ?? NaN) / 1000,
    };
    samples.push(s);
    rows.push([minute, fmt(s.rssMB), fmt(s.heapMB), fmt(s.cpuPctOfCore), fmt(s.gcPct), fmt(s.redisMB), fmt(s.redisCpuPct), `${d.poll}/${d.article}/${d.deliver}`, s.polls, `${fmt(s.pollLagP95S)}/${fmt(s.pollLagMaxS)}`, s.articles, s.deliveries, fmt(s.latencyP95S)]);
    console.log(n === 1 ? table(rows) : table(rows).split('\n').at(-1));
    prev = { at: now, stats, redis: rf, deliveries };
  }
  await child.close();

  const after = samples.filter((s) => s.minute > WARMUP);
  const checks: [string, boolean, string][] = [];
  if (after.length >= 2) {
    const flat = (name: string, pick: (s: Sample) => number) => {
      const medians = windowMedians(after.map(pick), 3);
      const base = medians[0]!;
      const worst = Math.max(...medians.map((m) => Math.abs(m - base) / base));
      const values = after.map(pick);
      checks.push([
        `${name} flat after warm-up`,
        worst <= 0.1,
        `window medians ${medians.map((m) => fmt(m)).join(' / ')}, largest change ${(worst * 100).toFixed(1)} % (≤ 10 %); single samples ${fmt(Math.min(...values))}–${fmt(Math.max(...values))}`,
      ]);
    };
    flat('worker RSS', (s) => s.rssMB);
    flat('Redis memory', (s) => s.redisMB);
    const waiting = after.map((s) => s.depths.article! + s.depths.deliver!);
    checks.push(['queues do not grow', waiting.at(-1)! <= Math.max(100, 2 * waiting[0]!), `article + deliver waiting ${waiting[0]} → ${waiting.at(-1)}`]);
  }
  // A sample in which no poll started has no lag (NaN): not late.
  const lagMax = Math.max(0, ...samples.map((s) => s.pollLagMaxS).filter((lag) => !Number.isNaN(lag)));
  checks.push([`no poll more than ${MAX_LAG_S} s late`, lagMax <= MAX_LAG_S, `latest ${fmt(lagMax)} s`]);
  const cpu = after.length ? after.reduce((a, s) => a + s.cpuPctOfCore, 0) / after.length : NaN;
  console.log(`\nworker CPU after warm-up: ${fmt(cpu)} % of one core on average; peak RSS ${fmt(Math.max(...samples.map((s) => s.rssMB)))} MB`);
  for (const [name, ok, detail] of checks) {
    console.log(`  ${name}: ${detail} ${ok ? 'OK' : 'FAILED'}`);
    if (!ok) failed = true;
  }
} finally {
  writeFileSync(join(args.out, `soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), `${JSON.stringify({ args, samples }, null, 2)}\n`);
  await Promise.all(Object.values(queues).map((q) => q.close()));
  redis.disconnect();
  await Promise.all([server.close(), hooks.close(), smtp.close()]);
  await redisServer.stop();
}
process.exit(failed ? 3 : 0);

/** The medians of `values` cut into `count` windows in a row (fewer when there are fewer values). */
function windowMedians(values: number[], count: number): number[] {
  const n = Math.min(count, values.length);
  return Array.from({ length: n }, (_, w) => {
    const window = values.slice(Math.floor((w * values.length) / n), Math.floor(((w + 1) * values.length) / n));
    return percentiles(window, [50])[0]!;
  });
}
