// `newswatch start`: every worker plus the feed schedulers, until SIGINT/SIGTERM. Shutdown lets
// in-flight jobs finish (BullMQ hands back any that cannot), closes connections, exits 0.

import type { Logger } from 'pino';
import { openRuntime } from './runtime.js';
import type { GlobalOptions } from './common.js';

export async function startCommand(opts: GlobalOptions, env: NodeJS.ProcessEnv, log: Logger): Promise<number> {
  const runtime = await openRuntime(opts, env, log);
  const { pipeline, config } = runtime;
  const synced = await pipeline.syncSchedulers();
  pipeline.runWorkers();
  log.info(
    { feeds: config.feeds.length, rules: config.rules.length, subscriptions: config.subscriptions.length, removedSchedulers: synced.removed, mail: runtime.mailTarget },
    'newswatch started',
  );

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down: finishing in-flight jobs');
      runtime
        .shutdown()
        .then(() => {
          log.info('stopped');
          resolve(0);
        })
        .catch((err: Error) => {
          log.error({ err: err.message }, 'shutdown failed');
          resolve(1);
        });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
