// Brings up what `start` and `run-once` share: config, Redis (found or managed, and answering:
// see waitForRedis), mailer and the pipeline; and takes it down again in the right order.

import { join } from 'node:path';
import type { Logger } from 'pino';
import { createMailer } from '../alerts/mailer.js';
import { redactCredentials } from '../config/credentials.js';
import type { Config } from '../config/load.js';
import { defaultSettings, type Settings } from '../queue/context.js';
import { resolveRedis, waitForRedis, type RedisTarget } from '../queue/redis.js';
import { createPipeline, type Pipeline } from '../../workers/index.js';
import { CliError, loadConfigForRun, type GlobalOptions } from './common.js';
import { limitHeapGrowth } from './heap.js';

export interface Runtime {
  config: Config;
  redis: RedisTarget;
  pipeline: Pipeline;
  mailTarget: string;
  shutdown(): Promise<void>;
}

export async function openRuntime(
  opts: GlobalOptions,
  env: NodeJS.ProcessEnv,
  log: Logger,
  tune: (s: Settings) => Settings = (s) => s,
  /** `start` waits for Redis as long as it takes; every other command gives up after a while. */
  waitForever = false,
): Promise<Runtime> {
  const config = await loadConfigForRun(opts.configDir, env);
  const timeoutMs = redisConnectTimeoutMs(env);
  const redis = await resolveRedis(env, opts.dataDir);
  await waitForRedis(redis, {
    timeoutMs,
    forever: waitForever,
    onRetry: waitForever
      ? (attempt, err, delayMs) =>
          log.warn({ redis: redactCredentials(redis.url), attempt }, `Redis does not answer (${err.message}); attempt ${attempt}, next in ${delayMs / 1_000} s`)
      : undefined,
  });
  log.info({ redis: redis.source === 'managed' ? `${redis.url} (managed, data in ${join(opts.dataDir, 'redis')})` : redactCredentials(redis.url) }, 'redis');
  const settings = tune(defaultSettings(env, config.settings));
  limitHeapGrowth(settings.heapGrowthPercent);
  const mailer = createMailer({ smtpUrl: env.SMTP_URL, outboxDir: join(opts.dataDir, 'outbox'), from: settings.mailFrom, connections: settings.smtpConnections });
  const pipeline = createPipeline({ redisUrl: redis.url, config, settings, mailer, log });
  return {
    config,
    redis,
    pipeline,
    mailTarget: mailer.target,
    async shutdown() {
      await pipeline.close();
      await redis.managed?.stop();
    },
  };
}

/** Runs a command that needs Redis and the pipeline's context, and takes it all down after. */
export async function withRuntime<T>(opts: GlobalOptions, env: NodeJS.ProcessEnv, log: Logger, fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const runtime = await openRuntime(opts, env, log);
  try {
    return await fn(runtime);
  } finally {
    await runtime.shutdown();
  }
}

/** REDIS_CONNECT_TIMEOUT: seconds a command waits for Redis to answer before it gives up (10). */
export function redisConnectTimeoutMs(env: NodeJS.ProcessEnv): number {
  const text = env.REDIS_CONNECT_TIMEOUT;
  if (text === undefined || text === '') return 10_000;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new CliError(`REDIS_CONNECT_TIMEOUT is a number of seconds, e.g. 30 (got "${text}"); unset it for 10`);
  return seconds * 1_000;
}
