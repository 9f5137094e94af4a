// `newswatch start`: every worker, the feed schedulers and the web server, until SIGINT/SIGTERM.
// Shutdown stops taking requests first, then lets in-flight jobs finish (BullMQ hands back any
// that cannot), closes connections, exits 0.

import type { Logger } from 'pino';
import { createWebServer, listen } from '../web/server.js';
import { openRuntime } from './runtime.js';
import type { GlobalOptions } from './common.js';

export async function startCommand(opts: GlobalOptions, env: NodeJS.ProcessEnv, log: Logger, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const runtime = await openRuntime(opts, env, log);
  const { pipeline, config } = runtime;
  const synced = await pipeline.syncSchedulers();
  pipeline.runWorkers();
  const web = createWebServer({ settings: pipeline.ctx.settings, log, ctx: pipeline.ctx });
  let address: string;
  try {
    address = await listen(web, pipeline.ctx.settings);
  } catch (err) {
    await runtime.shutdown();
    throw err;
  }
  log.info(
    {
      feeds: config.feeds.length,
      rules: config.rules.length,
      subscriptions: config.subscriptions.length,
      removedSchedulers: synced.removed,
      mail: runtime.mailTarget,
      web: address,
      publicUrl: pipeline.ctx.settings.publicUrl,
    },
    'newswatch started',
  );
  // Said plainly, whatever the log format: the worker is up and how to stop it.
  const { directory } = pipeline.ctx;
  await directory.ready;
  out.write(`watching ${count(config.feeds.length, 'feed')}, ${count(directory.rules().length, 'rule')}, ${count(directory.subscriptions().length, 'subscription')}; Ctrl-C to stop\n`);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down: finishing in-flight jobs');
      web
        .close()
        .then(() => runtime.shutdown())
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

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
