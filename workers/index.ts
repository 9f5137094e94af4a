// Assembles the pipeline on one Redis: the three queues, their workers (each processor above
// bound to the shared context), and one job scheduler per configured feed. Any number of
// processes may run this against the same Redis; BullMQ shares the work among them.

import { Queue, Worker, type Job, type JobsOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { Mailer } from '../src/alerts/mailer.js';
import { SubscriptionDirectory } from '../src/alerts/directory.js';
import { scheduleDigest } from '../src/alerts/digest-schedule.js';
import { linkSecret } from '../src/alerts/unsubscribe.js';
import type { Config } from '../src/config/load.js';
import { schedulePolls } from '../src/feeds/poll-schedule.js';
import { Sandbox } from '../src/sandbox/pool.js';
import type { Queues, Settings, WorkerContext } from '../src/queue/context.js';
import {
  QUEUES,
  digestSchedulerId,
  failedForGood,
  pollSchedulerId,
  type ArticleQueueData,
  type DeliverJobData,
  type DigestJobData,
  type PollJobData,
  type QueueName,
} from '../src/queue/jobs.js';
import { inParallel } from '../src/queue/in-parallel.js';
import { RedisKeys } from '../src/queue/keys.js';
import { Metrics } from '../src/queue/metrics.js';
import { OutageLog } from '../src/queue/outage.js';
import { connect, isClusterUrl, type RedisClient } from '../src/queue/redis.js';
import { processArticle } from './article.js';
import { processDeliver } from './deliver.js';
import { processDigest } from './digest.js';
import { processPoll } from './poll.js';

export { digestSchedule, scheduleDigest } from '../src/alerts/digest-schedule.js';

export interface PipelineOptions {
  redisUrl: string;
  config: Config;
  settings: Settings;
  mailer: Mailer;
  log: Logger;
}

export interface Pipeline {
  ctx: WorkerContext;
  workers: Worker[];
  /** Starts processing in this process: the workers of the given queues (default all four). */
  runWorkers(queues?: readonly QueueName[]): Worker[];
  /**
   * One poll scheduler per configured feed (only missing or changed ones are written; new ones
   * spread their first polls, src/feeds/poll-schedule.ts) and one digest scheduler per digest
   * subscription; schedulers no longer wanted by the config are removed.
   */
  syncSchedulers(): Promise<{ upserted: number; removed: string[] }>;
  /**
   * Puts a reloaded config and its settings in force for the jobs that start from now on:
   * feeds, sites and settings in the context, YAML rules and subscriptions in the directory.
   * (Concurrency, parsing threads, SMTP connections and the web server keep their start values.)
   */
  reload(config: Config, settings: Settings): void;
  /**
   * Only the removal half of syncSchedulers (run-once): schedulers of feeds no longer in the
   * config, or of subscriptions that no longer get digests, left by an earlier `start`.
   */
  removeStaleSchedulers(): Promise<string[]>;
  /** Unfinished jobs per queue: waiting, active, and delayed retries (not schedulers' next runs). */
  pending(): Promise<Record<keyof Queues, number>>;
  close(): Promise<void>;
}

export function pollJobOptions(settings: Settings): JobsOptions {
  return {
    attempts: settings.pollAttempts,
    backoff: { type: 'exponential', delay: settings.pollBackoffMs },
    removeOnComplete: { count: 1000 },
    removeOnFail: { count: 5000 },
  };
}

export function createPipeline(options: PipelineOptions): Pipeline {
  const { settings } = options;
  // A lost Redis is logged once, reminded at growing intervals and its return logged once,
  // whichever connection, worker or queue notices it.
  const outage = new OutageLog(options.log, options.redisUrl);
  const redis = connect(options.redisUrl);
  outage.watch(redis);
  const keys = new RedisKeys(settings.prefix, isClusterUrl(options.redisUrl));
  const queueOpts = { connection: redis, prefix: settings.prefix };
  const queues: Queues = {
    poll: new Queue<PollJobData>(keys.queue(QUEUES.poll), { ...queueOpts, defaultJobOptions: pollJobOptions(settings) }),
    article: new Queue<ArticleQueueData>(keys.queue(QUEUES.article), {
      ...queueOpts,
      defaultJobOptions: {
        attempts: 5,
        backoff: { type: 'exponential', delay: 10_000 },
        // Done is done: the article text leaves Redis with the job; its id stays remembered for
        // keepCompletedSeconds by a deduplication key (onceWithin), so a re-poll adds nothing.
        removeOnComplete: true,
        removeOnFail: { age: 7 * 86_400 },
      },
    }),
    digest: new Queue<DigestJobData>(keys.queue(QUEUES.digest), {
      ...queueOpts,
      defaultJobOptions: {
        attempts: 5,
        backoff: { type: 'exponential', delay: 10_000 },
        removeOnComplete: { count: 1000 },
        removeOnFail: { age: 30 * 86_400 },
      },
    }),
    deliver: new Queue<DeliverJobData>(keys.queue(QUEUES.deliver), {
      ...queueOpts,
      defaultJobOptions: {
        attempts: settings.deliverAttempts,
        backoff: { type: 'exponential', delay: settings.deliverBackoffMs },
        // The sent-marker (14 days) and the deduplication key (onceWithin) keep a delivery from
        // being sent or queued twice; the finished job with its article text is not needed.
        removeOnComplete: true,
        // Exhausted deliveries stay until an operator retries or removes them.
        removeOnFail: false,
      },
    }),
  };
  for (const [name, queue] of Object.entries(queues) as [QueueName, Queue][]) queue.on('error', (err) => outage.error(err, { queue: name }, 'queue error'));
  let secret: Promise<string> | undefined;
  const directory = new SubscriptionDirectory({ config: options.config, redis, keys, log: options.log, watch: (c) => outage.watch(c) });
  const ctx: WorkerContext = {
    config: options.config,
    directory,
    redis,
    keys,
    queues,
    mailer: options.mailer,
    sandbox: new Sandbox(settings.parsing),
    settings,
    linkSecret: () => (secret ??= linkSecret(redis, keys, settings.secret)),
    metrics: new Metrics({ queues, ruleIndex: () => directory.indexStats() }),
    log: options.log,
    processesArticles: false,
  };
  const workers: Worker[] = [];
  const workerConnections: RedisClient[] = [];

  const worker = <T>(name: QueueName, concurrency: number, fn: (job: Job<T>, ctx: WorkerContext, token?: string) => Promise<unknown>) => {
    const connection = connect(options.redisUrl);
    outage.watch(connection);
    workerConnections.push(connection);
    const w = new Worker<T>(keys.queue(name), (job, token) => fn(job, ctx, token), {
      connection,
      prefix: settings.prefix,
      concurrency,
      // BullMQ renews each job's lock every half lockDuration from a timer, so a long job keeps
      // it as long as the event loop turns: a poll that processes its feed's new items itself
      // holds the main thread for one batch's matching at a time (100 articles, tens of ms).
      lockDuration: settings.lockDurationMs,
      stalledInterval: settings.lockDurationMs,
    });
    w.on('error', (err) => outage.error(err, { queue: name }, 'worker error'));
    w.on('failed', (job, err) => {
      if (name === QUEUES.poll) {
        // processPoll has logged the failure and when the feed is polled next; a failed poll is
        // not kept for `newswatch retry`: the feed's scheduler tries again.
        options.log.debug({ queue: name, jobId: job?.id, err: err.message }, 'poll failed; the feed is polled again on its schedule');
        return;
      }
      const final = job && failedForGood(job, err);
      options.log[final ? 'error' : 'warn'](
        { queue: name, jobId: job?.id, attempt: job?.attemptsMade, err: err.message },
        final ? 'job failed for good; kept in the failed set' : 'job failed; will retry',
      );
    });
    workers.push(w);
    return w;
  };

  const digestSubscriptions = async () => {
    await ctx.directory.ready;
    return ctx.directory.subscriptions().filter((s) => s.delivery === 'digest');
  };
  const removeStaleSchedulers = async () => {
    const wanted = new Set([...ctx.config.feeds.map((f) => pollSchedulerId(f.id)), ...(await digestSubscriptions()).map((s) => digestSchedulerId(s.id))]);
    const removed: string[] = [];
    for (const queue of [queues.poll, queues.digest] as Queue[]) {
      const stale = (await queue.getJobSchedulers(0, -1)).map((s) => s.key).filter((key) => !wanted.has(key));
      await inParallel(stale, 50, (key) => queue.removeJobScheduler(key));
      removed.push(...stale);
    }
    return removed;
  };

  return {
    ctx,
    workers,
    runWorkers(wanted: readonly QueueName[] = Object.values(QUEUES)) {
      if (workers.length > 0) return workers;
      // Only the poll and article workers parse (feeds, pages) in sandbox threads.
      if (wanted.includes(QUEUES.poll) || wanted.includes(QUEUES.article)) ctx.sandbox.warmUp();
      ctx.processesArticles = wanted.includes(QUEUES.article);
      if (wanted.includes(QUEUES.poll)) worker<PollJobData>(QUEUES.poll, settings.concurrency.poll, processPoll);
      if (wanted.includes(QUEUES.article)) worker<ArticleQueueData>(QUEUES.article, settings.concurrency.article, processArticle);
      if (wanted.includes(QUEUES.digest)) worker<DigestJobData>(QUEUES.digest, settings.concurrency.digest, processDigest);
      if (wanted.includes(QUEUES.deliver)) worker<DeliverJobData>(QUEUES.deliver, settings.concurrency.deliver, processDeliver);
      return workers;
    },
    reload(config, newSettings) {
      ctx.config = config;
      ctx.settings = { ...newSettings, prefix: settings.prefix };
      directory.replaceYaml(config);
    },
    async syncSchedulers() {
      const polls = await schedulePolls(queues.poll, ctx.config.feeds, pollJobOptions(ctx.settings));
      const digests = await digestSubscriptions();
      for (const sub of digests) await scheduleDigest(queues.digest, sub);
      return { upserted: polls + digests.length, removed: await removeStaleSchedulers() };
    },
    removeStaleSchedulers,
    async pending() {
      // A scheduler always has its next run waiting as a delayed job; that is not unfinished
      // work. Delayed retries are.
      const count = async (q: Queue) => {
        const c = await q.getJobCounts('waiting', 'active', 'prioritized', 'waiting-children');
        const retries = (await q.getDelayed()).filter((job) => !job.repeatJobKey).length;
        return Object.values(c).reduce((a, b) => a + b, 0) + retries;
      };
      return {
        poll: await count(queues.poll),
        article: await count(queues.article),
        digest: await count(queues.digest),
        deliver: await count(queues.deliver),
      };
    },
    async close() {
      outage.close();
      await ctx.directory.close();
      // Workers first: they finish their in-flight jobs (or hand them back) before we disconnect.
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all(Object.values(queues).map((q: Queue) => q.close()));
      await Promise.all([...workerConnections, redis].map((c) => c.quit().catch(() => c.disconnect())));
      await ctx.sandbox.close();
      options.mailer.close();
    },
  };
}
