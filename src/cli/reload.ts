// `newswatch reload`: checks the config directory, then asks every `newswatch start` process of
// this deployment (same Redis and prefix, any machine) to reload its config. A config with
// errors is reported here and nothing is sent.

import type { Logger } from 'pino';
import { requestReload } from '../queue/reload.js';
import type { GlobalOptions } from './common.js';
import { withRuntime } from './runtime.js';

export async function reloadCommand(opts: GlobalOptions, env: NodeJS.ProcessEnv, log: Logger, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  return withRuntime(opts, env, log, async ({ pipeline, redis }) => {
    const listening = await requestReload(pipeline.ctx.redis, pipeline.ctx.keys.reloadChannel());
    const where = redis.url.replace(/\/\/[^@/]*@/, '//');
    out.write(
      listening > 0
        ? `Reload sent to ${listening} process(es) on ${where} (prefix ${pipeline.ctx.settings.prefix}); each logs "config reloaded" or its config errors.\n`
        : `No newswatch start process is listening on ${where} (prefix ${pipeline.ctx.settings.prefix}); nothing to reload.\n`,
    );
    return 0;
  });
}
