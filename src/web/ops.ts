// Operations endpoints, served by every `newswatch start` process (whatever its roles), so that
// an orchestrator can probe each one and Prometheus can scrape each one:
// - GET /healthz: the process is up and serving (200, no checks that could hang).
// - GET /readyz: Redis answers within READY_TIMEOUT_MS, the config and the subscription
//   directory are loaded, and every worker this process should run is running; else 503 with
//   the reasons, one sentence each.
// - GET /metrics: this process's metrics in Prometheus text format (src/queue/metrics.ts).

import type { FastifyInstance } from 'fastify';
import type { QueueName } from '../queue/jobs.js';
import type { Pipeline } from '../../workers/index.js';

const READY_TIMEOUT_MS = 2_000;

export interface OpsOptions {
  pipeline: Pipeline;
  /** The queues whose workers this process runs (its roles). */
  queues: readonly QueueName[];
}

export function registerOpsRoutes(app: FastifyInstance, options: OpsOptions): void {
  app.get('/healthz', async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const problems = await readinessProblems(options);
    reply.header('cache-control', 'no-store');
    return problems.length === 0 ? reply.send({ status: 'ready' }) : reply.status(503).send({ status: 'not ready', problems });
  });
  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await options.pipeline.ctx.metrics.text();
    return reply.header('cache-control', 'no-store').type(contentType).send(body);
  });
}

/** Why this process is not ready to work, or nothing when it is. */
export async function readinessProblems({ pipeline, queues }: OpsOptions): Promise<string[]> {
  const { ctx } = pipeline;
  const problems: string[] = [];
  const redis = await within(ctx.redis.ping(), READY_TIMEOUT_MS);
  if (redis !== 'PONG') problems.push(`Redis does not answer (${redis instanceof Error ? redis.message : `no reply within ${READY_TIMEOUT_MS} ms`}); check REDIS_URL and the Redis server`);
  if (!ctx.config) problems.push('the config is not loaded');
  if ((await within(ctx.directory.ready.then(() => 'loaded'), READY_TIMEOUT_MS)) !== 'loaded') problems.push('subscriptions and rules kept in Redis are not loaded yet');
  for (const queue of queues) {
    const worker = pipeline.workers.find((w) => w.name === ctx.keys.queue(queue));
    if (!worker?.isRunning()) problems.push(`the ${queue} worker is not running${worker ? ' (closed or stopped after an error; see the logs)' : ''}`);
  }
  return problems;
}

/** The promise's value or error, or undefined when it takes longer than `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | Error | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([promise.catch((err: unknown) => (err instanceof Error ? err : new Error(String(err)))), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
