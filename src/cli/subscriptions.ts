// `newswatch subscriptions [--json]`: every subscription, from YAML and from Redis, with where it
// lives, its state, whom it goes to, what it listens to and how often. `newswatch export
// [--out DIR]`: the Redis-held rules and subscriptions as YAML — on stdout, or appended to copies
// of the config files in DIR, which `newswatch --config DIR validate` accepts.

import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { stringify } from 'yaml';
import { exportConfig, ruleYaml, subscriptionYaml } from '../alerts/export.js';
import { describeSchedule, scheduleOf } from '../alerts/frequency.js';
import { SubscriptionStore } from '../alerts/subscription-store.js';
import { statusOf, SubscriptionState, type SubscriptionStatus } from '../alerts/subscriptions.js';
import { redactCredentials } from '../config/credentials.js';
import { CONFIG_FILES } from '../config/load.js';
import type { SubscriptionConfig } from '../config/schema.js';
import { CliError, type GlobalOptions } from './common.js';
import { withRuntime } from './runtime.js';

interface Row {
  id: string;
  source: 'yaml' | 'redis';
  status: SubscriptionStatus;
  to: string;
  rules: string[];
  keywords?: string;
  schedule: string;
}

const row = (sub: SubscriptionConfig, source: Row['source'], status: SubscriptionStatus): Row => ({
  id: sub.id,
  source,
  status,
  to: sub.email ?? redactCredentials(sub.webhook?.url ?? ''),
  rules: sub.rules,
  keywords: sub.keywords,
  schedule: describeSchedule(scheduleOf(sub)),
});

export async function subscriptionsCommand(opts: GlobalOptions, env: NodeJS.ProcessEnv, log: Logger, json: boolean, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  return withRuntime(opts, env, log, async (rt) => {
    const { directory, redis, keys } = rt.pipeline.ctx;
    await directory.ready;
    const disabled = await new SubscriptionState(redis, keys).disabled();
    const rows = [
      ...directory.subscriptions().map((s) => row(s, s.source, statusOf(s, disabled))),
      ...(await new SubscriptionStore(redis, keys).allPending()).map((s) => row(s, 'redis', 'pending')),
    ];
    if (json) {
      for (const r of rows) out.write(`${JSON.stringify(r)}\n`);
      return 0;
    }
    const listens = (r: Row) => [...r.rules, ...(r.keywords ? [`"${r.keywords}"`] : [])].join(', ');
    const table = [['ID', 'SOURCE', 'STATUS', 'TO', 'LISTENS TO', 'SENT'], ...rows.map((r) => [r.id, r.source, r.status, r.to, listens(r), r.schedule])];
    const widths = table[0]!.map((_, c) => Math.max(...table.map((line) => line[c]!.length)));
    for (const line of table) out.write(`${line.map((cell, c) => (c === line.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')}\n`);
    out.write(`${rows.length} subscription(s)\n`);
    return 0;
  });
}

export async function exportCommand(opts: GlobalOptions, env: NodeJS.ProcessEnv, log: Logger, outDir: string | undefined, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  return withRuntime(opts, env, log, async (rt) => {
    const store = new SubscriptionStore(rt.pipeline.ctx.redis, rt.pipeline.ctx.keys);
    const [rules, subs] = await Promise.all([store.allRules(), store.all()]);
    if (!outDir) {
      out.write(stringify({ rules: rules.map(ruleYaml), subscriptions: subs.map(subscriptionYaml) }));
      return 0;
    }
    const current = {
      rules: await readFile(join(opts.configDir, CONFIG_FILES.rules), 'utf8'),
      subscriptions: await readFile(join(opts.configDir, CONFIG_FILES.subscriptions), 'utf8'),
    };
    let exported;
    try {
      exported = exportConfig(current, rules, subs);
    } catch (err) {
      throw new CliError((err as Error).message);
    }
    await mkdir(outDir, { recursive: true });
    if ((await readdir(outDir)).some((f) => f.endsWith('.yaml'))) throw new CliError(`${outDir} already holds YAML files; export into an empty directory`);
    for (const name of await readdir(opts.configDir)) if (name.endsWith('.yaml')) await copyFile(join(opts.configDir, name), join(outDir, name));
    await writeFile(join(outDir, CONFIG_FILES.rules), exported.rules);
    await writeFile(join(outDir, CONFIG_FILES.subscriptions), exported.subscriptions);
    out.write(`Exported ${rules.length} rule(s) and ${subs.length} subscription(s) from Redis into ${outDir} (with the rest of ${opts.configDir}).\nCheck with: newswatch --config ${outDir} validate\n`);
    return 0;
  });
}
