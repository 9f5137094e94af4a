// `newswatch validate`: checks the config directory and lists every problem with file:line:col
// and the fix. Exit 0 when there is no error (warnings allowed), 1 otherwise.

import { formatIssue } from '../config/errors.js';
import { loadConfig } from '../config/load.js';

export async function validateCommand(configDir: string, env: NodeJS.ProcessEnv): Promise<number> {
  const { config, issues } = await loadConfig(configDir, env);
  for (const issue of issues) process.stderr.write(`${formatIssue(issue)}\n\n`);
  const errors = issues.filter((i) => i.severity === 'error').length;
  const warnings = issues.length - errors;
  if (!config) {
    process.stderr.write(`${configDir}: ${errors} error(s), ${warnings} warning(s); nothing was started.\n`);
    return 1;
  }
  process.stdout.write(
    `${configDir}: OK — ${config.feeds.length} feed(s), ${config.rules.length} rule(s), ` +
      `${config.subscriptions.length} subscription(s)${warnings ? `, ${warnings} warning(s)` : ''}\n`,
  );
  return 0;
}
