// `newswatch start [--only ROLES]`: the workers, the feed schedulers and the web server, until
// SIGINT/SIGTERM. Roles split that work between processes (and machines) sharing one Redis:
// `web` serves the pages and API; `poll`, `article`, `deliver` and `digest` run that queue's
// worker. Every process serves /healthz, /readyz and /metrics on HTTP_HOST:HTTP_PORT (src/web/
// ops.ts), so each can be probed and scraped. Processes with `poll` or `digest` keep the
// schedulers in line with the config. The config directory is reloaded on a file change, SIGHUP
// or `newswatch reload` (src/queue/reload.ts). Shutdown stops taking
// requests first, then lets in-flight jobs finish (BullMQ hands back any that cannot), closes
// connections, exits 0.

import type { Logger } from 'pino';
import { QUEUES, type QueueName } from '../queue/jobs.js';
import { ConfigReloader } from '../queue/reload.js';
import { registerQueueDashboard } from '../web/ops-admin.js';
import { registerOpsRoutes } from '../web/ops.js';
import { createWebServer, listen } from '../web/server.js';
import { CliError, type GlobalOptions } from './common.js';
import { openRuntime } from './runtime.js';

export const ROLES = ['web', 'poll', 'article', 'deliver', 'digest'] as const;
export type Role = (typeof ROLES)[number];

/** `--only web,poll`: the roles named, each once; every role when the option is absent. */
export function parseRoles(text: string | undefined): Role[] {
  if (text === undefined) return [...ROLES];
  const names = text.split(',').map((r) => r.trim()).filter((r) => r !== '');
  const unknown = names.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length > 0 || names.length === 0) {
    const what = unknown.length > 0 ? `unknown role${unknown.length > 1 ? 's' : ''} ${unknown.map((r) => `"${r}"`).join(', ')}` : 'no role given';
    throw new CliError(`--only: ${what}; give a comma-separated list of ${ROLES.join(', ')} (e.g. --only web,poll)`, 2);
  }
  return ROLES.filter((r) => names.includes(r));
}

export async function startCommand(opts: GlobalOptions, env: NodeJS.ProcessEnv, log: Logger, roles: readonly Role[] = ROLES, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const runtime = await openRuntime(opts, env, log, undefined, true);
  const { pipeline, config } = runtime;
  const queues = roles.filter((r): r is QueueName => r in QUEUES);
  const schedulers = roles.includes('poll') || roles.includes('digest');
  const synced = schedulers ? await pipeline.syncSchedulers() : undefined;
  pipeline.runWorkers(queues);
  // Pages and API are registered for the web role only; the operations endpoints for every role.
  const web = createWebServer({ settings: pipeline.ctx.settings, log, ctx: roles.includes('web') ? pipeline.ctx : undefined });
  registerOpsRoutes(web, { pipeline, queues });
  if (roles.includes('web')) await registerQueueDashboard(web, { queues: pipeline.ctx.queues, adminToken: pipeline.ctx.settings.adminToken });
  let address: string;
  try {
    address = await listen(web, pipeline.ctx.settings);
  } catch (err) {
    await runtime.shutdown();
    throw err;
  }
  const reloader = new ConfigReloader({ configDir: opts.configDir, env, pipeline, schedulers, log });
  await reloader.start();
  log.info(
    {
      roles,
      feeds: config.feeds.length,
      rules: config.rules.length,
      subscriptions: config.subscriptions.length,
      removedSchedulers: synced?.removed,
      mail: runtime.mailTarget,
      [roles.includes('web') ? 'web' : 'ops']: address,
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
        .then(() => reloader.close())
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
