// What several commands share: where the config and data directories are, and turning a broken
// config into a readable report instead of a stack trace.

import { resolve } from 'node:path';
import { ConfigError, formatIssue, type ConfigIssue } from '../config/errors.js';
import { loadConfig, type Config } from '../config/load.js';

export interface GlobalOptions {
  configDir: string;
  dataDir: string;
}

export function globalOptions(configFlag: string | undefined, env: NodeJS.ProcessEnv): GlobalOptions {
  return {
    configDir: resolve(configFlag ?? env.NEWSWATCH_CONFIG ?? 'config'),
    dataDir: resolve(env.NEWSWATCH_DATA ?? 'data'),
  };
}

/** Loads the config or throws a ConfigError listing every problem; warnings go to stderr. */
export async function loadConfigForRun(dir: string, env: NodeJS.ProcessEnv): Promise<Config> {
  const { config, issues } = await loadConfig(dir, env);
  printWarnings(issues);
  if (!config) throw new ConfigError(issues.filter((i) => i.severity === 'error'));
  return config;
}

export function printWarnings(issues: ConfigIssue[]): void {
  for (const issue of issues.filter((i) => i.severity === 'warning')) process.stderr.write(`${formatIssue(issue)}\n`);
}

/** A user-facing failure: printed without a stack trace, with this exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
