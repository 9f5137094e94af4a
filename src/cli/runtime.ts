// Brings up what `start` and `run-once` share: config, Redis (found or managed), mailer and
// the pipeline; and takes it down again in the right order.

import { join } from 'node:path';
import type { Logger } from 'pino';
import { createMailer } from '../alerts/mailer.js';
import type { Config } from '../config/load.js';
import { defaultSettings, type Settings } from '../queue/context.js';
import { resolveRedis, type RedisTarget } from '../queue/redis.js';
import { createPipeline, type Pipeline } from '../../workers/index.js';
import { loadConfigForRun, type GlobalOptions } from './common.js';

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
): Promise<Runtime> {
  const config = await loadConfigForRun(opts.configDir, env);
  const redis = await resolveRedis(env, opts.dataDir);
  log.info({ redis: redis.source === 'managed' ? `${redis.url} (managed, data in ${join(opts.dataDir, 'redis')})` : redis.url }, 'redis');
  const settings = tune(defaultSettings(env, config.settings));
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
