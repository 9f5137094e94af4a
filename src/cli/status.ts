// `newswatch status [--json]`: one screen on how the deployment is doing, read from Redis with
// bounded commands only (job counts, the oldest waiting job, one hash per configured feed, a
// ZCOUNT, the disabled hash, the last-delivery hash; never KEYS or a scan of the keyspace):
// queues (depth per state, failed, oldest waiting), feeds (ok / failing / flagged / never polled
// and the worst five with their last error and since when), subscriptions (active, paused,
// pending, disabled; YAML and Redis alike, through the subscription directory) and the last
// alert sent. `--json` prints the same as one JSON object for scripts. Exit 0.

import type { Logger } from 'pino';
import { LastDeliveryStore, type LastDelivery } from '../alerts/last-delivery.js';
import { SubscriptionStore } from '../alerts/subscription-store.js';
import { statusOf, SubscriptionState } from '../alerts/subscriptions.js';
import { redactCredentials } from '../config/credentials.js';
import { formatDuration } from '../config/duration.js';
import { HealthStore, type FeedHealth } from '../feeds/health.js';
import { queueStats, type QueueStats } from '../queue/stats.js';
import type { GlobalOptions } from './common.js';
import { feedState } from './feeds.js';
import { withRuntime, type Runtime } from './runtime.js';

export interface FeedProblem {
  feedId: string;
  state: 'failing' | 'FLAGGED';
  consecutiveFailures: number;
  /** First failure of the current run of failures (ISO 8601). */
  failingSince?: string;
  errorClass?: string;
  error?: string;
}

export interface StatusReport {
  /** When the report was read (ISO 8601). */
  at: string;
  queues: QueueStats[];
  feeds: { total: number; ok: number; failing: number; flagged: number; neverPolled: number; worst: FeedProblem[] };
  subscriptions: { active: number; paused: number; pending: number; disabled: number };
  lastAlert?: LastDelivery;
}

/** How many failing feeds the report names. */
const WORST = 5;

export async function statusCommand(opts: GlobalOptions, env: NodeJS.ProcessEnv, log: Logger, json: boolean, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  return withRuntime(opts, env, log, async (rt) => {
    const report = await readStatus(rt);
    out.write(redactCredentials(json ? `${JSON.stringify(report)}\n` : formatStatus(report)));
    return 0;
  });
}

export async function readStatus(rt: Pick<Runtime, 'config' | 'pipeline'>, now = Date.now()): Promise<StatusReport> {
  const { ctx } = rt.pipeline;
  const { redis, keys, directory } = ctx;
  const [queues, health, disabled, pending, lastAlert] = await Promise.all([
    queueStats(ctx.queues, now),
    new HealthStore(redis, keys).getAll(rt.config.feeds.map((f) => f.id)),
    new SubscriptionState(redis, keys).disabled(),
    new SubscriptionStore(redis, keys).countPending(),
    new LastDeliveryStore(redis, keys).get(),
    directory.ready,
  ]);
  const subscriptions = { active: 0, paused: 0, pending, disabled: 0 };
  for (const sub of directory.subscriptions()) subscriptions[statusOf(sub, disabled)]++;
  return { at: new Date(now).toISOString(), queues, feeds: feedSummary(health), subscriptions, lastAlert };
}

/** Counts by state, and the worst failing feeds: flagged first, then failing longest, then most failures. */
export function feedSummary(health: FeedHealth[]): StatusReport['feeds'] {
  const states = health.map((h) => ({ h, state: feedState(h) }));
  const count = (state: string) => states.filter((s) => s.state === state).length;
  const since = (h: FeedHealth) => (h.failingSince ? Date.parse(h.failingSince) : Number.POSITIVE_INFINITY);
  const worst = states
    .filter((s) => s.state === 'failing' || s.state === 'FLAGGED')
    .sort((a, b) => Number(b.h.flagged) - Number(a.h.flagged) || since(a.h) - since(b.h) || b.h.consecutiveFailures - a.h.consecutiveFailures)
    .slice(0, WORST)
    .map(({ h, state }) => ({
      feedId: h.feedId,
      state: state as FeedProblem['state'],
      consecutiveFailures: h.consecutiveFailures,
      failingSince: h.failingSince,
      errorClass: h.errorClass,
      error: h.error,
    }));
  return { total: health.length, ok: count('ok'), failing: count('failing'), flagged: count('FLAGGED'), neverPolled: count('never polled'), worst };
}

const ago = (iso: string, now: number) => {
  const ms = now - Date.parse(iso);
  return ms < 1_000 ? 'just now' : `${formatDuration(Math.round(ms / 1_000) * 1_000)} ago`;
};

export function formatStatus(r: StatusReport): string {
  const now = Date.parse(r.at);
  const lines: string[] = [];

  const header = ['QUEUE', 'WAITING', 'ACTIVE', 'DELAYED', 'FAILED', 'OLDEST WAITING'];
  const rows = r.queues.map((q) => [
    q.queue,
    String(q.waiting),
    String(q.active),
    String(q.delayed),
    String(q.failed),
    q.waiting > 0 ? formatDuration(Math.round(q.oldestWaitingMs / 1_000) * 1_000 || q.oldestWaitingMs) : '-',
  ]);
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => (row[i] ?? '').length)));
  // Names left-aligned, numbers right-aligned.
  const line = (row: string[]) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  lines.push(line(header), ...rows.map(line));
  // Failed polls are not retried by hand: the feed's scheduler polls it again.
  const failed = r.queues.filter((q) => q.queue === 'deliver' || q.queue === 'digest').reduce((n, q) => n + q.failed, 0);
  if (failed > 0) lines.push(`${failed} failed deliveries or digest runs: \`newswatch failed\` lists them, \`newswatch retry\` sends them again`);

  const f = r.feeds;
  lines.push('', `Feeds: ${f.total} — ${f.ok} ok, ${f.failing} failing, ${f.flagged} flagged${f.neverPolled ? `, ${f.neverPolled} never polled` : ''}`);
  if (f.worst.length > 0) {
    const width = Math.max(...f.worst.map((w) => w.feedId.length));
    for (const w of f.worst) {
      const since = w.failingSince ? ` since ${w.failingSince} (${ago(w.failingSince, now)})` : '';
      lines.push(`  ${w.feedId.padEnd(width)}  ${w.state}, ${w.consecutiveFailures} failure(s)${since}: ${w.error ?? w.errorClass ?? 'failed'}`);
    }
    if (f.failing + f.flagged > f.worst.length) lines.push(`  … \`newswatch feeds\` shows all ${f.failing + f.flagged}`);
  }

  const s = r.subscriptions;
  lines.push('', `Subscriptions: ${s.active} active, ${s.paused} paused, ${s.pending} pending, ${s.disabled} disabled`);

  const a = r.lastAlert;
  lines.push(
    '',
    a
      ? `Last alert: ${a.at} (${ago(a.at, now)}) to ${a.subscriptionId} (${a.channel} ${a.to}): ${a.kind === 'alert' ? `"${a.title}" (story ${a.storyId})` : a.title}`
      : 'Last alert: none sent yet',
  );
  return `${lines.join('\n')}\n`;
}
