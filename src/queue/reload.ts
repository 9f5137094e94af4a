// Hot reload of the config directory in a running `newswatch start` process. Triggers: a change
// of any file in the directory (fs.watch, settled for RELOAD_SETTLE_MS), SIGHUP, and a message on
// the deployment's reload channel in Redis (`newswatch reload`, or another process that saw its
// files change), so processes on other machines reload their copy too. Rules:
// - The whole directory is loaded and checked as `validate` does. With any error, nothing
//   changes: the last good config stays in force and every problem is logged with file:line:col.
// - Otherwise feeds, sites, settings, YAML rules and subscriptions take effect for the next jobs
//   (pipeline.reload), and a process with the poll or digest role brings the schedulers in line:
//   new feeds get one, changed intervals are upserted, removed feeds lose theirs.
// - Reloads run one at a time; triggers during a reload cause one more afterwards.

import { randomUUID } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from 'pino';
import { formatIssue } from '../config/errors.js';
import { loadConfig } from '../config/load.js';
import type { Pipeline } from '../../workers/index.js';
import { defaultSettings } from './context.js';
import type { RedisClient } from './redis.js';

const RELOAD_SETTLE_MS = 300;

export interface ReloaderOptions {
  configDir: string;
  env: NodeJS.ProcessEnv;
  pipeline: Pipeline;
  /** Whether this process keeps the schedulers (poll or digest role). */
  schedulers: boolean;
  log: Logger;
}

export type ReloadOutcome = { ok: true; removedSchedulers: string[] } | { ok: false; errors: number };

export class ConfigReloader {
  private readonly origin = randomUUID();
  private watcher: FSWatcher | undefined;
  private subscriber: RedisClient | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  private running: Promise<ReloadOutcome> | undefined;
  private again = false;
  private readonly onHup = () => void this.trigger('SIGHUP');

  constructor(private readonly options: ReloaderOptions) {}

  /** Starts watching the directory, SIGHUP and the Redis channel. */
  async start(): Promise<void> {
    const { pipeline, log } = this.options;
    this.watcher = watch(this.options.configDir, { persistent: false }, () => {
      clearTimeout(this.settleTimer);
      this.settleTimer = setTimeout(() => void this.trigger('file change'), RELOAD_SETTLE_MS);
    });
    this.watcher.on('error', (err) => log.warn({ err: err.message }, 'config directory watch failed; SIGHUP and `newswatch reload` still reload'));
    process.on('SIGHUP', this.onHup);
    const channel = pipeline.ctx.keys.reloadChannel();
    this.subscriber = pipeline.ctx.redis.duplicate();
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (_channel: string, message: string) => {
      if (message !== this.origin) void this.trigger('reload message', false);
    });
    await this.subscriber.subscribe(channel);
  }

  /**
   * Reloads now (or right after the reload in progress); `tell` also asks every other process of
   * the deployment to reload, as a local file change or SIGHUP does.
   */
  async trigger(reason: string, tell = true): Promise<ReloadOutcome> {
    if (tell) await this.options.pipeline.ctx.redis.publish(this.options.pipeline.ctx.keys.reloadChannel(), this.origin).catch(() => 0);
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.reload(reason);
    try {
      return await this.running;
    } finally {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        void this.trigger(reason, false);
      }
    }
  }

  async close(): Promise<void> {
    clearTimeout(this.settleTimer);
    this.watcher?.close();
    process.off('SIGHUP', this.onHup);
    this.subscriber?.disconnect();
    await this.running?.catch(() => undefined);
  }

  private async reload(reason: string): Promise<ReloadOutcome> {
    const { configDir, env, pipeline, log } = this.options;
    try {
      const { config, issues } = await loadConfig(configDir, env);
      for (const issue of issues) {
        log[issue.severity === 'error' ? 'error' : 'warn']({ file: issue.file, line: issue.line, column: issue.column, hint: issue.hint }, formatIssue(issue));
      }
      if (!config) {
        const errors = issues.filter((i) => i.severity === 'error').length;
        log.error({ reason, errors }, 'config not reloaded: it has errors (above); the last good config stays in force');
        return { ok: false, errors };
      }
      pipeline.reload(config, defaultSettings(env, config.settings));
      const synced = this.options.schedulers ? await pipeline.syncSchedulers() : undefined;
      log.info(
        { reason, feeds: config.feeds.length, rules: config.rules.length, subscriptions: config.subscriptions.length, removedSchedulers: synced?.removed },
        'config reloaded',
      );
      return { ok: true, removedSchedulers: synced?.removed ?? [] };
    } catch (err) {
      log.error({ reason, err: (err as Error).message }, 'config reload failed; the last good config stays in force');
      return { ok: false, errors: 1 };
    }
  }
}

/** Asks every process of the deployment to reload; returns how many were listening. */
export async function requestReload(redis: RedisClient, channel: string): Promise<number> {
  return redis.publish(channel, 'reload');
}
