#!/usr/bin/env node
// The `newswatch` command: parses arguments and hands off to one file per command. Errors meant
// for users (config problems, no Redis, bad arguments) print without a stack trace.

import { parseArgs } from 'node:util';
import { redactCredentials } from '../config/credentials.js';
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

const USAGE = `Usage: newswatch [--config DIR] <command> [options]

Commands:
  start [--only ROLES]           run the workers, feed schedulers and the web server until stopped;
                                 ROLES: any of web,poll,article,deliver,digest (default all)
  reload                         check the config, then make every running start process reload it
  run-once [--timeout SECONDS]   poll every feed once, deliver, print a summary
  validate                       check the config directory; exit 1 on any error
  match --rules FILE [--explain] match JSON Lines articles on stdin against a rules file
  parse-feed FILE|URL [--url BASE]  print a feed's normalised items as JSON
  extract FILE|URL [--url BASE] [--allow-private]
                                 print an article page's extracted text and metadata
  test-rule RULE_ID --feed URL|FILE|FEED_ID [--fetch-articles] [--json]
                                 show for each item of a feed whether the rule matches and why
  test-rule --query '…' --feed URL|FILE|FEED_ID   the same for a query not yet in rules.yaml
  test-rule RULE_ID|--query '…' --recent   the same over the recent articles kept in Redis
  failed                         list deliveries that ran out of attempts, with the last error
  retry ID | --all               send failed deliveries round again
  enable SUBSCRIPTION            turn back on a subscription disabled by a 410 Gone webhook
  preview SUBSCRIPTION           render the next digest to files in $NEWSWATCH_DATA/preview
  feeds                          each feed's health: state, HTTP status, failures, items, next poll
  status [--json]                one screen: queues, feeds (the worst five failing), subscriptions,
                                 the last alert sent
  import-opml FILE [--dry-run]   add the feeds of an OPML export to feeds.yaml (comments kept)
  subscriptions [--json]         every subscription, from YAML and Redis: state, target, rules, schedule
  export [--out DIR]             the rules and subscriptions kept in Redis as YAML (DIR: a full config
                                 directory that validate accepts)

Options:
  --config DIR   config directory (default: $NEWSWATCH_CONFIG or ./config)
  -h, --help     this text

Environment: REDIS_URL, REDIS_CONNECT_TIMEOUT, SMTP_URL, MAIL_FROM, NEWSWATCH_CONFIG, NEWSWATCH_DATA,
             NEWSWATCH_PREFIX, NEWSWATCH_SECRET, PUBLIC_URL, HTTP_HOST, HTTP_PORT, ADMIN_TOKEN, LOG_LEVEL,
             LOG_FORMAT
`;

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      rules: { type: 'string' },
      explain: { type: 'boolean', default: false },
      url: { type: 'string' },
      timeout: { type: 'string' },
      all: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      feed: { type: 'string' },
      query: { type: 'string' },
      json: { type: 'boolean', default: false },
      'fetch-articles': { type: 'boolean', default: false },
      'allow-private': { type: 'boolean', default: false },
      recent: { type: 'boolean', default: false },
      out: { type: 'string' },
      only: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, target] = positionals;
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return command || values.help ? 0 : 2;
  }
  const opts = globalOptions(values.config, env);
  switch (command) {
    case 'start':
      return startCommand(opts, env, createLogger('info', env), parseRoles(values.only));
    case 'reload':
      return reloadCommand(opts, env, createLogger('warn', env));
    case 'run-once': {
      const seconds = values.timeout === undefined ? 120 : Number(values.timeout);
      if (!Number.isFinite(seconds) || seconds <= 0) throw new CliError('--timeout takes a number of seconds, e.g. --timeout 60', 2);
      return runOnceCommand(opts, env, createLogger('warn', env), seconds * 1000);
    }
    case 'validate':
      return validateCommand(opts.configDir, env);
    case 'match':
      if (!values.rules) throw new CliError('match needs --rules FILE (a YAML file with a `rules:` list)', 2);
      return matchCommand(values.rules, values.explain, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }, env);
    case 'parse-feed':
      if (!target) throw new CliError('parse-feed needs a FILE or URL', 2);
      return parseFeedCommand(target, values.url, opts.configDir, env);
    case 'extract':
      if (!target) throw new CliError('extract needs a FILE or URL', 2);
      return extractCommand(target, { base: values.url, allowPrivate: values['allow-private'] }, opts.configDir, env);
    case 'test-rule':
      return testRuleCommand(
        {
          ruleId: target,
          query: values.query,
          feed: values.feed,
          recent: values.recent,
          dataDir: opts.dataDir,
          json: values.json,
          fetchArticles: values['fetch-articles'],
          configDir: opts.configDir,
        },
        env,
        process.stdout,
        process.stderr,
      );
    case 'failed':
      return failedCommand(opts, env, createLogger('warn', env));
    case 'retry':
      return retryCommand(opts, env, createLogger('warn', env), target, values.all);
    case 'enable':
      return enableCommand(opts, env, createLogger('warn', env), target);
    case 'preview':
      return previewCommand(opts, env, createLogger('warn', env), target);
    case 'feeds':
      return feedsCommand(opts, env, createLogger('warn', env));
    case 'status':
      return statusCommand(opts, env, createLogger('warn', env), values.json);
    case 'import-opml':
      if (!target) throw new CliError('import-opml needs the OPML FILE exported from your feed reader', 2);
      return importOpmlCommand(target, opts.configDir, values['dry-run']);
    case 'subscriptions':
      return subscriptionsCommand(opts, env, createLogger('warn', env), values.json);
    case 'export':
      return exportCommand(opts, env, createLogger('warn', env), values.out);
    default:
      throw new CliError(`unknown command "${command}"\n\n${USAGE}`, 2);
  }
}

/** Prints a failure on stderr (failure.ts); returns the exit code. */
function report(err: unknown): number {
  if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(redactCredentials(`newswatch: ${(err as Error).message}\n\n${USAGE}`));
    return 2;
  }
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
