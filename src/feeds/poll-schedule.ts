// The poll scheduler of each configured feed: one BullMQ job scheduler per feed, every `interval`.
// Rules:
// - Only a scheduler that is missing or differs from the config (interval, job options) is
//   written, many at once: a restart or reload with 10,000 unchanged feeds writes nothing, and an
//   unchanged scheduler keeps its next run.
// - A new scheduler's first run is spread (firstPollDelay): at a stable point, from the feed id,
//   within one second per FIRST_POLLS_PER_SECOND new schedulers and at most the interval. BullMQ
//   keeps each scheduler's phase from then on (after a backlog too), so the feeds' polls stay
//   spread over their interval instead of all falling due at once.

import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { JobSchedulerJson, JobsOptions, Queue } from 'bullmq';
import type { FeedConfig } from '../config/schema.js';
import { inParallel } from '../queue/in-parallel.js';
import { pollSchedulerId, type PollJobData } from '../queue/jobs.js';

/** How fast the first polls of newly added feeds come; a single new feed is polled at once. */
export const FIRST_POLLS_PER_SECOND = 20;

/** Scheduler writes in flight at once (each is one Lua script). */
const WRITES_IN_FLIGHT = 50;

/** Milliseconds from now to a new feed's first poll, when `newSchedulers` are created together. */
export function firstPollDelay(feedId: string, intervalMs: number, newSchedulers: number): number {
  const window = Math.min(intervalMs, (newSchedulers / FIRST_POLLS_PER_SECOND) * 1000);
  return Math.floor(stableFraction(feedId) * window);
}

/** A number in [0, 1) that depends only on the feed id. */
function stableFraction(feedId: string): number {
  return createHash('sha256').update(feedId).digest().readUInt32BE(0) / 2 ** 32;
}

/** The feeds whose scheduler is missing or differs from what the config asks. */
export function feedsToSchedule(feeds: readonly FeedConfig[], existing: readonly JobSchedulerJson<PollJobData>[], opts: JobsOptions): FeedConfig[] {
  const byKey = new Map(existing.map((s) => [s.key, s]));
  return feeds.filter((feed) => {
    const s = byKey.get(pollSchedulerId(feed.id));
    return !s || s.every !== feed.interval || s.template?.data?.feedId !== feed.id || !isDeepStrictEqual({ ...s.template?.opts }, { ...opts });
  });
}

/** Creates or updates the schedulers that need it; returns how many were written. */
export async function schedulePolls(queue: Queue<PollJobData>, feeds: readonly FeedConfig[], opts: JobsOptions): Promise<number> {
  const wanted = feedsToSchedule(feeds, await queue.getJobSchedulers(0, -1), opts);
  const now = Date.now();
  await inParallel(wanted, WRITES_IN_FLIGHT, (feed) =>
    queue.upsertJobScheduler(
      pollSchedulerId(feed.id),
      // startDate counts only for a new scheduler or a changed interval; an existing one keeps its time.
      { every: feed.interval, startDate: now + firstPollDelay(feed.id, feed.interval, wanted.length) },
      { name: 'poll', data: { feedId: feed.id }, opts },
    ),
  );
  return wanted.length;
}
