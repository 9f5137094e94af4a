#!/usr/bin/env node
// The `newswatch` command: reads the command line (args.ts: every command and option, the help
// texts) and hands off to one file per command; failures print as failure.ts says.

import { parseCommandLine } from './args.js';
import { CliError, globalOptions } from './common.js';
import { extractCommand } from './extract.js';
import { describeFailure } from './failure.js';
import { feedsCommand } from './feeds.js';
import { enableCommand, failedCommand, retryCommand } from './failed.js';
import { createLogger } from './logger.js';
import { matchCommand } from './match.js';
import { parseFeedCommand } from './parse-feed.js';
import { importOpmlCommand } from './import-opml.js';
import { previewCommand } from './preview.js';
import { runOnceCommand } from './run-once.js';
import { reloadCommand } from './reload.js';
import { parseRoles, startCommand } from './start.js';
import { statusCommand } from './status.js';
import { exportCommand, subscriptionsCommand } from './subscriptions.js';
import { testRuleCommand } from './test-rule.js';
import { validateCommand } from './validate.js';

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const line = parseCommandLine(argv);
  if (line.kind === 'help') {
    process.stdout.write(line.text);
    return line.exitCode;
  }
  const { command, str, flag } = line;
  const target = line.args[0];
  const opts = globalOptions(line.config, env);
  switch (command) {
    case 'start':
      return startCommand(opts, env, createLogger('info', env), parseRoles(str('only')));
    case 'reload':
      return reloadCommand(opts, env, createLogger('warn', env));
    case 'run-once': {
      const seconds = str('timeout') === undefined ? 120 : Number(str('timeout'));
      if (!Number.isFinite(seconds) || seconds <= 0) throw new CliError('--timeout takes a number of seconds, e.g. --timeout 60', 2);
      return runOnceCommand(opts, env, createLogger('warn', env), seconds * 1000);
    }
    case 'validate':
      return validateCommand(opts.configDir, env);
    case 'match': {
      const rules = str('rules');
      if (!rules) throw new CliError('match needs --rules FILE (a YAML file with a `rules:` list)', 2);
      return matchCommand(rules, flag('explain'), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }, env);
    }
    case 'parse-feed':
      if (!target) throw new CliError('parse-feed needs a FILE or URL', 2);
      return parseFeedCommand(target, str('url'), opts.configDir, env);
    case 'extract':
      if (!target) throw new CliError('extract needs a FILE or URL', 2);
      return extractCommand(target, { base: str('url'), allowPrivate: flag('allow-private') }, opts.configDir, env);
    case 'test-rule':
      return testRuleCommand(
        {
          ruleId: target,
          query: str('query'),
          feed: str('feed'),
          recent: flag('recent'),
          dataDir: opts.dataDir,
          json: flag('json'),
          fetchArticles: flag('fetch-articles'),
          configDir: opts.configDir,
        },
        env,
        process.stdout,
        process.stderr,
      );
    case 'failed':
      return failedCommand(opts, env, createLogger('warn', env));
    case 'retry':
      return retryCommand(opts, env, createLogger('warn', env), target, flag('all'));
    case 'enable':
      return enableCommand(opts, env, createLogger('warn', env), target);
    case 'preview':
      return previewCommand(opts, env, createLogger('warn', env), target);
    case 'feeds':
      return feedsCommand(opts, env, createLogger('warn', env));
    case 'status':
      return statusCommand(opts, env, createLogger('warn', env), flag('json'));
    case 'import-opml':
      if (!target) throw new CliError('import-opml needs the OPML FILE exported from your feed reader', 2);
      return importOpmlCommand(target, opts.configDir, flag('dry-run'));
    case 'subscriptions':
      return subscriptionsCommand(opts, env, createLogger('warn', env), flag('json'));
    case 'export':
      return exportCommand(opts, env, createLogger('warn', env), str('out'));
    default:
      // args.ts knows every command; one it lists but this switch misses is a bug.
      throw new Error(`command "${command}" is listed in args.ts but not run by main.ts`);
  }
}

/** Prints a failure on stderr (failure.ts); returns the exit code. */
function report(err: unknown): number {
  const failure = describeFailure(err, process.env);
  process.stderr.write(failure.text);
  return failure.exitCode;
}

/**
 * Exits once everything written to stdout and stderr has reached the reader. process.exit()
 * drops what a pipe has not yet taken, which cut `match`'s JSON Lines at a random point.
 */
async function exitWhenFlushed(code: number): Promise<never> {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  // The callback of an empty write runs after every earlier chunk is flushed, or with the error
  // (EPIPE: the reader went away) that makes waiting pointless.
  return new Promise((resolve) => stream.write('', () => resolve()));
}

main(process.argv.slice(2)).then(
  (code) => exitWhenFlushed(code),
  (err: unknown) => exitWhenFlushed(report(err)),
);
