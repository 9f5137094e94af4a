// `newswatch run-once`: poll every feed once, process until the queues are drained, deliver,
// print a one-screen summary. Exit 0 when a feed could be read, 1 when none could.
// The summary reports this run's own polls only: polls that schedulers of an earlier `start` put
// in the queue are not counted, and schedulers of feeds no longer in the config are removed
// first. Deliveries get delivery.attempts from settings.yaml, with the backoff shortened to fit
// the run's timeout; what still fails stays in the failed set for `start`'s operators, and the
// summary says so. A webhook that answers 410 Gone is reported as such, not as delivered.
// On a terminal, progress (feeds polled of the total, articles, alerts) is drawn on stderr while
// it runs and cleared before the summary (progress.ts); piped, the output is the summary alone.

import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import { articleCounts, type ArticleJobResult } from '../../workers/article.js';
import type { DeliverResult } from '../../workers/deliver.js';
import type { PollResult } from '../../workers/poll.js';
import { redactCredentials } from '../config/credentials.js';
import type { Settings } from '../queue/context.js';
import { describeDelivery, failedForGood, QUEUES, type DeliverJobData, type PollJobData, type QueueName } from '../queue/jobs.js';
import type { GlobalOptions } from './common.js';
import { createProgress, type ProgressStream } from './progress.js';
import { openRuntime } from './runtime.js';

interface Summary {
  feeds: Map<string, { result?: PollResult; error?: string }>;
  articles: number;
  matched: number;
  digested: number;
  delivered: { to: string; title: string; receipt: string }[];
  failedDeliveries: { subscription: string; title: string; error: string }[];
  /** Subscriptions whose webhook answered 410 Gone: not delivered, switched off. */
  disabled: { subscription: string; title: string }[];
  /** Schedulers of feeds or digests no longer in the config, removed before polling. */
  removedSchedulers: string[];
}

/** Read means an answer from the feed: new items, not modified or unchanged (not deferred, not failed). */
const wasRead = (f: { result?: PollResult }) => f.result?.status === 'ok' || f.result?.status === 'not-modified' || f.result?.status === 'unchanged';

export async function runOnceCommand(
  opts: GlobalOptions,
  env: NodeJS.ProcessEnv,
  log: Logger,
  timeoutMs = 120_000,
  out: NodeJS.WritableStream = process.stdout,
  progressStream: ProgressStream = process.stderr,
): Promise<number> {
  const runtime = await openRuntime(opts, env, log, (s) => ({ ...s, pollAttempts: 1, deliverBackoffMs: shortenedBackoffMs(s, timeoutMs) }));
  const { pipeline, config } = runtime;
  const summary: Summary = {
    feeds: new Map(config.feeds.map((f) => [f.id, {}])),
    articles: 0,
    matched: 0,
    digested: 0,
    delivered: [],
    failedDeliveries: [],
    disabled: [],
    removedSchedulers: await pipeline.removeStaleSchedulers(),
  };
  const stamp = Date.now();
  const ownPolls = new Map(config.feeds.map((f) => [`once-${f.id}-${stamp}`, f.id]));

  const progress = createProgress(config.feeds.length, progressStream, env);
  const polled = () => [...summary.feeds.values()].filter((f) => f.result || f.error).length;
  const showProgress = () => progress.update({ feedsDone: polled(), articles: summary.articles, alerts: summary.delivered.length });

  const { keys } = pipeline.ctx;
  const is = (worker: { name: string }, queue: QueueName) => worker.name === keys.queue(queue);
  for (const worker of pipeline.runWorkers()) {
    worker.on('completed', (job: Job, result: unknown) => {
      if (is(worker, QUEUES.poll) && ownPolls.has(job.id ?? '')) summary.feeds.set((job.data as PollJobData).feedId, { result: result as PollResult });
      // Articles are processed by article jobs, and by the polls themselves for feeds without page fetch.
      const counts = is(worker, QUEUES.poll) ? (result as PollResult).processed : is(worker, QUEUES.article) ? articleCounts(result as ArticleJobResult) : undefined;
      if (counts) {
        summary.articles += counts.articles;
        summary.matched += counts.matched;
        summary.digested += counts.digests;
      }
      if (is(worker, QUEUES.deliver)) {
        const r = result as DeliverResult;
        const title = describeDelivery(job.data as DeliverJobData);
        // A job of alerts lists each it sent (also those before a 410 disabled the subscription).
        if (r.to && r.sent) summary.delivered.push(...r.sent.map((s) => ({ to: r.to!, ...s })));
        if (r.disabled) summary.disabled.push({ subscription: (job.data as DeliverJobData).subscriptionId, title });
        else if (r.to && !r.sent && !r.duplicate) summary.delivered.push({ to: r.to, title, receipt: r.receipt ?? '' });
      }
      showProgress();
    });
    // A job of alerts put off for an alert another job was sending tells what it sent so far.
    worker.on('progress', (_job: Job, progress: unknown) => {
      const r = progress as DeliverResult;
      if (is(worker, QUEUES.deliver) && r.to && r.sent) summary.delivered.push(...r.sent.map((s) => ({ to: r.to!, ...s })));
      showProgress();
    });
    worker.on('failed', (job: Job | undefined, err: Error) => {
      if (!job || !failedForGood(job, err)) return;
      if (is(worker, QUEUES.poll) && ownPolls.has(job.id ?? '')) summary.feeds.set((job.data as PollJobData).feedId, { error: err.message });
      if (is(worker, QUEUES.deliver)) {
        const data = job.data as DeliverJobData;
        summary.failedDeliveries.push({ subscription: data.subscriptionId, title: describeDelivery(data), error: err.message });
      }
      showProgress();
    });
  }

  await pipeline.ctx.queues.poll.addBulk([...ownPolls].map(([jobId, feedId]) => ({ name: 'poll', data: { feedId }, opts: { jobId, attempts: 1 } })));

  const deadline = Date.now() + timeoutMs;
  let pending: Record<string, number>;
  try {
    pending = await pipeline.pending();
    while (Object.values(pending).some((n) => n > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      pending = await pipeline.pending();
    }
  } finally {
    progress.stop();
  }
  const timedOut = Object.values(pending).some((n) => n > 0);
  await runtime.shutdown();

  out.write(redactCredentials(formatSummary(summary, runtime.mailTarget, timedOut ? pending : undefined)));
  return config.feeds.length === 0 || [...summary.feeds.values()].some(wasRead) ? 0 : 1;
}

/**
 * delivery.backoff, shortened when needed so that every one of delivery.attempts fits into half
 * of the run's timeout (the delays double: backoff × (2^(attempts−1) − 1) in all).
 */
export function shortenedBackoffMs(settings: Settings, timeoutMs: number): number {
  const doublings = 2 ** (settings.deliverAttempts - 1) - 1;
  if (doublings === 0) return settings.deliverBackoffMs;
  return Math.max(1, Math.min(settings.deliverBackoffMs, Math.floor(timeoutMs / 2 / doublings)));
}

function formatSummary(s: Summary, mailTarget: string, leftOver?: Record<string, number>): string {
  const lines: string[] = [];
  const feeds = [...s.feeds.entries()];
  const ok = feeds.filter(([, f]) => wasRead(f)).length;
  lines.push(`Feeds: ${ok} of ${feeds.length} read`);
  if (s.removedSchedulers.length > 0) lines.push(`  (removed the schedules of what is no longer in the config: ${s.removedSchedulers.join(', ')})`);
  const width = Math.max(4, ...feeds.map(([id]) => id.length));
  for (const [id, f] of feeds) {
    const detail = f.result
      ? f.result.status === 'ok'
        ? `${f.result.itemsInFeed} items, ${f.result.newItems} new${f.result.skippedOld ? `, ${f.result.skippedOld} older than the first-poll window` : ''}`
        : f.result.status
      : `FAILED: ${f.error ?? 'not polled'}`;
    lines.push(`  ${id.padEnd(width)}  ${detail}`);
  }
  lines.push(`Articles: ${s.articles} processed, ${s.matched} matched a rule`);
  if (s.digested > 0) lines.push(`Digests: ${s.digested} stories waiting for their digest's scheduled time (\`newswatch preview ID\` shows one)`);
  const notDelivered = [
    ...(s.failedDeliveries.length ? [`${s.failedDeliveries.length} failed`] : []),
    ...(s.disabled.length ? [`${s.disabled.length} not sent: subscription disabled (410 Gone)`] : []),
  ];
  lines.push(`Alerts: ${s.delivered.length} delivered${notDelivered.map((n) => `, ${n}`).join('')} (email goes to ${mailTarget})`);
  for (const d of s.delivered.slice(0, 10)) lines.push(`  → ${d.to}: ${d.title}`);
  if (s.delivered.length > 10) lines.push(`  … and ${s.delivered.length - 10} more`);
  for (const f of s.failedDeliveries) lines.push(`  ✗ ${f.subscription}: ${f.title} — ${f.error} (kept in the failed set)`);
  for (const d of s.disabled) lines.push(`  ✗ ${d.subscription}: ${d.title} — subscription disabled (410 Gone); \`newswatch enable ${d.subscription}\` turns it back on`);
  if (leftOver) lines.push(`Stopped waiting with jobs still queued: ${JSON.stringify(leftOver)}; \`newswatch start\` will finish them.`);
  return `${lines.join('\n')}\n`;
}
