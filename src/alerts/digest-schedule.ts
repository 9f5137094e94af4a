// The digest scheduler of a subscription: one BullMQ job scheduler per digest subscription, on
// its cron (or shortcut) in its time zone. Created at start for every digest subscription and
// whenever one is created or changed at run time (API, subscribe and manage pages).

import type { Queue } from 'bullmq';
import { DIGEST_SHORTCUTS, type SubscriptionConfig } from '../config/schema.js';
import { digestSchedulerId, type DigestJobData } from '../queue/jobs.js';

/** The cron schedule of a digest subscription: its shortcut or cron, in its time zone. */
export function digestSchedule(sub: SubscriptionConfig): { pattern: string; tz: string } {
  const digest = sub.digest ?? 'daily';
  if (typeof digest === 'string') return { pattern: DIGEST_SHORTCUTS[digest], tz: sub.timezone };
  return { pattern: digest.cron, tz: digest.timezone ?? sub.timezone };
}

/**
 * Creates, updates or (for `undefined`, or a subscription that no longer wants digests) removes
 * the digest scheduler of one subscription; idempotent.
 */
export async function scheduleDigest(queue: Queue<DigestJobData>, sub: SubscriptionConfig | undefined, subscriptionId = sub?.id): Promise<void> {
  if (!subscriptionId) return;
  if (!sub || sub.delivery !== 'digest') {
    await queue.removeJobScheduler(digestSchedulerId(subscriptionId));
    return;
  }
  await queue.upsertJobScheduler(digestSchedulerId(sub.id), digestSchedule(sub), { name: 'digest', data: { subscriptionId: sub.id } });
}
