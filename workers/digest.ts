// One digest run for one subscription (fired by its cron job scheduler): drain the bucket
// atomically into a batch named after this run, queue one digest delivery from it, then drop
// the batch. A retried run finds its batch again and re-adds the same delivery id (a no-op), so a
// digest is neither lost nor sent twice. An empty bucket sends nothing.

import type { Job } from 'bullmq';
import { DigestStore } from '../src/alerts/digest-store.js';
import type { WorkerContext } from '../src/queue/context.js';
import { digestJobId, hashId, onceWithin, type DigestJobData } from '../src/queue/jobs.js';

export interface DigestResult {
  subscriptionId: string;
  stories: number;
  omitted: number;
  deliveryJobId?: string;
}

export async function processDigest(job: Job<DigestJobData>, ctx: WorkerContext): Promise<DigestResult> {
  const { subscriptionId } = job.data;
  await ctx.directory.ready;
  const sub = ctx.directory.subscription(subscriptionId);
  const none = { subscriptionId, stories: 0, omitted: 0 };
  if (!sub || sub.delivery !== 'digest') {
    ctx.log.warn({ subscriptionId }, 'digest run for a subscription that no longer wants digests; skipped');
    return none;
  }
  const store = new DigestStore(ctx.redis, ctx.keys, ctx.settings.dedupWindowMs);
  const digestId = hashId(subscriptionId, String(job.id));
  if (!(await store.drain(subscriptionId, digestId))) return none;

  const entries = await store.readBatch(subscriptionId, digestId);
  if (entries.length === 0) {
    await store.deleteBatch(subscriptionId, digestId);
    return none;
  }
  // Newest first decides which stories make the cut; the email groups them by rule.
  const time = (e: (typeof entries)[number]) => Date.parse(e.article.published ?? e.matchedAt) || 0;
  entries.sort((a, b) => time(b) - time(a));
  const listed = entries.slice(0, sub.maxPerDigest);
  const deliveryJobId = digestJobId(subscriptionId, digestId);
  await ctx.queues.deliver.add(
    'digest',
    { kind: 'digest', subscriptionId, digestId, entries: listed, omitted: entries.length - listed.length, createdAt: new Date().toISOString() },
    onceWithin(deliveryJobId, ctx.settings.keepCompletedSeconds * 1000),
  );
  await store.deleteBatch(subscriptionId, digestId);
  ctx.log.info({ subscriptionId, stories: listed.length, omitted: entries.length - listed.length }, 'digest queued');
  return { subscriptionId, stories: listed.length, omitted: entries.length - listed.length, deliveryJobId };
}
