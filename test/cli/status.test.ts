// The pure half of `newswatch status`: which failing feeds are the worst, and the screen.
import { describe, expect, it } from 'vitest';
import { feedSummary, formatStatus, type StatusReport } from '../../src/cli/status.js';
import type { FeedHealth } from '../../src/feeds/health.js';

const feed = (feedId: string, h: Partial<FeedHealth> = {}): FeedHealth => ({
  feedId,
  lastAttempt: '2026-12-01T08:00:00.000Z',
  consecutiveFailures: 0,
  itemsSeen: 0,
  flagged: false,
  ...h,
});
const failing = (feedId: string, since: string, failures: number, flagged = false) =>
  feed(feedId, { consecutiveFailures: failures, failingSince: since, flagged, errorClass: 'http', error: `${feedId}: HTTP 500` });

describe('feedSummary', () => {
  it('counts feeds by state and names the worst five failing: flagged first, then the longest failing', () => {
    const summary = feedSummary([
      feed('fine'),
      feed('new', { lastAttempt: undefined }),
      failing('recent', '2026-12-01T07:00:00.000Z', 2),
      failing('older', '2026-11-30T07:00:00.000Z', 1),
      failing('flagged-late', '2026-11-29T07:00:00.000Z', 9, true),
      failing('flagged-early', '2026-11-20T07:00:00.000Z', 3, true),
      failing('a', '2026-12-01T07:30:00.000Z', 1),
      failing('b', '2026-12-01T07:40:00.000Z', 1),
    ]);
    expect(summary).toMatchObject({ total: 8, ok: 1, failing: 4, flagged: 2, neverPolled: 1 });
    expect(summary.worst.map((w) => w.feedId)).toEqual(['flagged-early', 'flagged-late', 'older', 'recent', 'a']);
    expect(summary.worst[0]).toEqual({
      feedId: 'flagged-early',
      state: 'FLAGGED',
      consecutiveFailures: 3,
      failingSince: '2026-11-20T07:00:00.000Z',
      errorClass: 'http',
      error: 'flagged-early: HTTP 500',
    });
  });
});

describe('formatStatus', () => {
  const report: StatusReport = {
    at: '2026-12-01T09:00:00.000Z',
    queues: [
      { queue: 'poll', waiting: 0, active: 1, delayed: 8, failed: 0, oldestWaitingMs: 0 },
      { queue: 'deliver', waiting: 12, active: 2, delayed: 3, failed: 4, oldestWaitingMs: 95_000 },
    ],
    feeds: { ...feedSummary([feed('ok'), ...['a', 'b', 'c', 'd', 'e', 'f'].map((id) => failing(id, '2026-12-01T08:00:00.000Z', 2))]) },
    subscriptions: { active: 3, paused: 0, pending: 2, disabled: 1 },
    lastAlert: { at: '2026-12-01T08:55:00.000Z', subscriptionId: 'desk', kind: 'alert', storyId: 'st1', title: 'Truce agreed', channel: 'webhook', to: 'https://hooks.example/x' },
  };

  it('shows queue depths with the oldest waiting age, the failing feeds beyond five as a pointer, and the last alert', () => {
    const text = formatStatus(report);
    expect(text).toMatch(/^deliver\s+12\s+2\s+3\s+4\s+1m35s$/m);
    expect(text).toMatch(/^poll\s+0\s+1\s+8\s+0\s+-$/m);
    expect(text).toContain('4 failed deliveries or digest runs: `newswatch failed` lists them');
    expect(text).toContain('Feeds: 7 — 1 ok, 6 failing, 0 flagged\n');
    expect(text).toContain('  a  failing, 2 failure(s) since 2026-12-01T08:00:00.000Z (1h ago): a: HTTP 500\n');
    expect(text).not.toMatch(/^ {2}f {2}/m);
    expect(text).toContain('  … `newswatch feeds` shows all 6\n');
    expect(text).toContain('Subscriptions: 3 active, 0 paused, 2 pending, 1 disabled\n');
    expect(text).toContain('Last alert: 2026-12-01T08:55:00.000Z (5m ago) to desk (webhook https://hooks.example/x): "Truce agreed" (story st1)\n');
  });

  it('says when no alert was sent yet and names no failed deliveries when there are none', () => {
    const text = formatStatus({ ...report, queues: [report.queues[0]!], lastAlert: undefined });
    expect(text).toContain('Last alert: none sent yet\n');
    expect(text).not.toContain('newswatch failed');
  });
});
