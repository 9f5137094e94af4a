// `newswatch feeds`: every configured feed's health from Redis as a table — state, HTTP status,
// last success, consecutive failures, items, next poll — then the last error of each failing
// feed and any permanent redirects to copy into feeds.yaml. Exit 0; flagged feeds are marked.

import type { Logger } from 'pino';
import { redactCredentials } from '../config/credentials.js';
import { formatDuration } from '../config/duration.js';
import type { FeedConfig } from '../config/schema.js';
import { HealthStore, type FeedHealth } from '../feeds/health.js';
import type { GlobalOptions } from './common.js';
import { openRuntime } from './runtime.js';

export async function feedsCommand(opts: GlobalOptions, env: NodeJS.ProcessEnv, log: Logger, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const runtime = await openRuntime(opts, env, log);
  try {
    const { ctx } = runtime.pipeline;
    const health = await new HealthStore(ctx.redis, ctx.keys).getAll(runtime.config.feeds.map((f) => f.id));
    out.write(redactCredentials(formatFeedsTable(runtime.config.feeds, health)));
    return 0;
  } finally {
    await runtime.shutdown();
  }
}

/** The state word of a feed: never polled, ok, failing, FLAGGED (failing for long). */
export function feedState(h: FeedHealth): string {
  if (!h.lastAttempt) return 'never polled';
  if (h.flagged) return 'FLAGGED';
  if (h.consecutiveFailures > 0) return 'failing';
  return 'ok';
}

function ago(iso: string | undefined, now: number): string {
  if (!iso) return '-';
  const ms = now - Date.parse(iso);
  return ms < 1_000 ? 'just now' : `${formatDuration(Math.round(ms / 1_000) * 1_000)} ago`;
}

function until(at: number | undefined, now: number): string {
  if (at === undefined) return '-';
  const ms = at - now;
  return ms <= 0 ? 'due' : `in ${formatDuration(Math.max(1_000, Math.round(ms / 1_000) * 1_000))}`;
}

export function formatFeedsTable(feeds: FeedConfig[], health: FeedHealth[], now = Date.now()): string {
  const byId = new Map(health.map((h) => [h.feedId, h]));
  const header = ['FEED', 'STATE', 'HTTP', 'LAST SUCCESS', 'LAST ATTEMPT', 'FAILS', 'ERROR', 'ITEMS', 'SEEN', 'NEXT POLL'];
  const rows = feeds.map((f) => {
    const h = byId.get(f.id) ?? { feedId: f.id, consecutiveFailures: 0, itemsSeen: 0, flagged: false };
    const next = h.nextPoll ? `${until(h.nextPoll.at, now)}${h.nextPoll.reason === 'schedule' ? '' : ` (${h.nextPoll.reason})`}` : '-';
    return [
      f.id,
      feedState(h),
      h.status === undefined ? '-' : String(h.status),
      ago(h.lastSuccess, now),
      ago(h.lastAttempt, now),
      String(h.consecutiveFailures),
      h.errorClass ?? '-',
      h.itemsInFeed === undefined ? '-' : String(h.itemsInFeed),
      String(h.itemsSeen),
      next,
    ];
  });
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const lines = [line(header), ...rows.map(line)];

  const notes: string[] = [];
  for (const f of feeds) {
    const h = byId.get(f.id);
    if (!h) continue;
    if (h.consecutiveFailures > 0 && h.error) {
      const since = h.failingSince ? `, failing since ${h.failingSince}` : '';
      notes.push(`${f.id}: ${h.error}${since}`);
    }
    if (h.movedTo) notes.push(`${f.id}: moved permanently to ${h.movedTo}; update its url in feeds.yaml`);
    if (h.repeatedIds) {
      const fix = (f.identity ?? 'guid') === 'guid' ? '; if they are different articles, set `identity: link` for it in feeds.yaml' : '';
      notes.push(`${f.id}: ${h.repeatedIds} item(s) of the last poll repeated another item's id and were dropped${fix}`);
    }
  }
  const okCount = feeds.filter((f) => feedState(byId.get(f.id) ?? { feedId: f.id, consecutiveFailures: 0, itemsSeen: 0, flagged: false }) === 'ok').length;
  const summary = `${feeds.length} feed(s): ${okCount} ok, ${feeds.length - okCount} not ok`;
  return `${[...lines, '', summary, ...notes].join('\n')}\n`;
}
