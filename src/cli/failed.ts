// `newswatch failed` lists deliveries and digest runs that ran out of attempts, with the last
// error, and the feeds whose polls fail (those are not kept: their schedulers poll them again);
// `newswatch retry ID|--all` queues them again with a fresh set of attempts and says who sends
// them: a running `newswatch start` (it tells whether one is connected), else the next
// `run-once`; `newswatch enable SUBSCRIPTION` turns back on a subscription a 410 Gone switched off.

import type { Job, Queue } from 'bullmq';
import type { Logger } from 'pino';
import { SubscriptionState } from '../alerts/subscriptions.js';
import { HealthStore } from '../feeds/health.js';
import { describeDelivery, type DeliverJobData, type DigestJobData } from '../queue/jobs.js';
import { CliError, type GlobalOptions } from './common.js';
import { withRuntime, type Runtime } from './runtime.js';

const failedQueues = (rt: Runtime): Queue[] => [rt.pipeline.ctx.queues.deliver, rt.pipeline.ctx.queues.digest];

function describe(job: Job): string {
  return job.queueName.endsWith('digest') ? `digest run for ${(job.data as DigestJobData).subscriptionId}` : describeDelivery(job.data as DeliverJobData);
}

export async function failedCommand(opts: GlobalOptions, env: NodeJS.ProcessEnv, log: Logger, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  return withRuntime(opts, env, log, async (rt) => {
    const rows: string[] = [];
    for (const queue of failedQueues(rt)) {
      for (const job of await queue.getFailed(0, -1)) {
        const when = job.finishedOn ? new Date(job.finishedOn).toISOString() : '';
        rows.push(
          `${job.id}\t${queue.name}\t${(job.data as { subscriptionId: string }).subscriptionId}\t${job.attemptsMade} attempts\t${when}\n  ${describe(job)}\n  last error: ${job.failedReason}`,
        );
      }
    }
    const { ctx } = rt.pipeline;
    const disabled = await new SubscriptionState(ctx.redis, ctx.keys).disabled();
    out.write(rows.length === 0 ? 'No failed deliveries.\n' : `${rows.length} failed:\n${rows.join('\n')}\n\nRe-drive with: newswatch retry ID  (or --all)\n`);
    const failing = (await new HealthStore(ctx.redis, ctx.keys).getAll(rt.config.feeds.map((f) => f.id))).filter((h) => h.consecutiveFailures > 0);
    if (failing.length > 0) {
      out.write(`${failing.length} feed(s) failing; each is polled again on its schedule, not by retry (\`newswatch feeds\` has the details):\n`);
      for (const h of failing) out.write(`  ${h.feedId}: ${h.error ?? h.errorClass ?? 'failed'} (${h.consecutiveFailures} failure(s) in a row)\n`);
    }
    for (const [id, why] of disabled) out.write(`Subscription "${id}" is disabled since ${why}; newswatch enable ${id} turns it back on.\n`);
    return 0;
  });
}

export async function retryCommand(
  opts: GlobalOptions,
  env: NodeJS.ProcessEnv,
  log: Logger,
  id: string | undefined,
  all: boolean,
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  if (!id && !all) throw new CliError('retry needs a job ID (see `newswatch failed`) or --all', 2);
  return withRuntime(opts, env, log, async (rt) => {
    let retried = 0;
    for (const queue of failedQueues(rt)) {
      const jobs = all ? await queue.getFailed(0, -1) : [await queue.getJob(id as string)].filter((j): j is Job => j !== undefined);
      for (const job of jobs) {
        if ((await job.getState()) !== 'failed') continue;
        await job.retry('failed', { resetAttemptsMade: true });
        retried++;
        out.write(`retrying ${job.id}: ${describe(job)}\n`);
      }
    }
    if (retried === 0) {
      if (id) throw new CliError(`no failed job with id "${id}"; \`newswatch failed\` lists them`, 1);
      out.write('No failed deliveries to retry.\n');
      return 0;
    }
    out.write(`${await whoSends(failedQueues(rt))}\n`);
    return 0;
  });
}

/** Who will send what retry queued: the workers connected to these queues now, if any. */
async function whoSends(queues: Queue[]): Promise<string> {
  let workers: number;
  try {
    workers = (await Promise.all(queues.map((q) => q.getWorkersCount()))).reduce((a, b) => a + b, 0);
  } catch (err) {
    return `A running \`newswatch start\` sends them (or the next \`newswatch run-once\`); whether one runs cannot be told: ${(err as Error).message}.`;
  }
  return workers > 0
    ? 'A worker is running: they are being sent now; `newswatch failed` shows any that fail again.'
    : 'No worker is running: they wait in the queue until `newswatch start` runs, or the next `newswatch run-once` sends them.';
}

export async function enableCommand(opts: GlobalOptions, env: NodeJS.ProcessEnv, log: Logger, subscriptionId: string | undefined): Promise<number> {
  if (!subscriptionId) throw new CliError('enable needs a subscription id', 2);
  return withRuntime(opts, env, log, async (rt) => {
    await rt.pipeline.ctx.directory.ready;
    if (!rt.pipeline.ctx.directory.subscription(subscriptionId)) throw new CliError(`no subscription "${subscriptionId}" (\`newswatch subscriptions\` lists them)`, 1);
    const was = await new SubscriptionState(rt.pipeline.ctx.redis, rt.pipeline.ctx.keys).enable(subscriptionId);
    process.stdout.write(was ? `Subscription "${subscriptionId}" enabled.\n` : `Subscription "${subscriptionId}" was not disabled.\n`);
    return 0;
  });
}
