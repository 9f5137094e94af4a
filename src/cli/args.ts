// The command line: every command with its arguments and options, written once here, so that
// parsing, `newswatch --help` and `newswatch <command> --help` cannot disagree. Rules: an option
// a command does not take, or a stray argument, is a usage error (exit 2) of one line with a
// did-you-mean and where to read more; `-h`/`--help` anywhere prints the help of the command it
// follows (or the overview) and runs nothing.

import { parseArgs } from 'node:util';
import { closestId } from '../config/did-you-mean.js';
import { CliError } from './common.js';

interface OptionSpec {
  type: 'string' | 'boolean';
  /** The value's name in usage lines, for string options: `--timeout SECONDS`. */
  value?: string;
  help: string;
}

interface CommandSpec {
  /** The arguments after the command name, as usage shows them. */
  args?: string;
  /** How many arguments it takes at most. */
  maxArgs: number;
  /** One line (two at most) for the overview. */
  summary: string;
  /** The command's own help: what it does in more words, defaults, exit codes. */
  details: string;
  options: Record<string, OptionSpec>;
  /** Usage lines, when the one made of args and options does not show how they combine. */
  usage?: string[];
}

const GLOBAL_OPTIONS: Record<string, OptionSpec & { short?: string }> = {
  config: { type: 'string', value: 'DIR', help: 'config directory (default: $NEWSWATCH_CONFIG or ./config)' },
  help: { type: 'boolean', short: 'h', help: 'this text' },
};

export const COMMANDS: Record<string, CommandSpec> = {
  start: {
    maxArgs: 0,
    summary: 'run the workers, feed schedulers and the web server until stopped',
    details:
      'Runs until SIGINT or SIGTERM (Ctrl-C), then stops gracefully. The web server listens on\nHTTP_HOST:HTTP_PORT. The process reloads its config directory when a file in it changes, on\nSIGHUP and on `newswatch reload`.',
    options: {
      only: { type: 'string', value: 'ROLES', help: 'run only these roles, comma-separated: web, poll, article, deliver, digest (default all)' },
    },
  },
  reload: {
    maxArgs: 0,
    summary: 'check the config, then make every running start process reload it',
    details: 'Exits 1 without telling anyone when the config has an error (as validate reports it).',
    options: {},
  },
  'run-once': {
    maxArgs: 0,
    summary: 'poll every feed once, deliver, print a summary',
    details:
      'Polls every feed of feeds.yaml once, processes until the queues drain, delivers and prints a\nsummary of its own polls. Exits 1 only when no feed could be read.',
    options: {
      timeout: { type: 'string', value: 'SECONDS', help: 'give up waiting for the queues to drain after this long (default 120)' },
    },
  },
  validate: {
    maxArgs: 0,
    summary: 'check the config directory; exit 1 on any error',
    details: 'Reports every problem of the config directory with file:line:column and the fix; exits 1 on\nany error, 0 when there are only warnings or none.',
    options: {},
  },
  match: {
    maxArgs: 0,
    summary: 'match JSON Lines articles on stdin against a rules file',
    details:
      'Reads articles as JSON Lines on stdin ({"id","title","summary","content","url","feed",\n"language","published"}, all but id optional) and writes one JSON line per (article, rule)\nmatch, in input order: {"article":"<id>","rule":"<rule id>"}.',
    options: {
      rules: { type: 'string', value: 'FILE', help: 'a YAML file with a `rules:` list (required)' },
      explain: { type: 'boolean', help: 'add the rule name and the hits (term, field, character offsets)' },
    },
  },
  'parse-feed': {
    args: 'FILE|URL',
    maxArgs: 1,
    summary: "print a feed's normalised items as JSON",
    details: 'Reads and parses the feed as the poll worker does (same limits and parsing budget) and prints\nits normalised items as JSON. Exits 1 with one line when it cannot be read or parsed.',
    options: {
      url: { type: 'string', value: 'BASE', help: "the feed's URL, for relative links when reading a file" },
    },
  },
  extract: {
    args: 'FILE|URL',
    maxArgs: 1,
    summary: "print an article page's extracted text and metadata",
    details:
      "Extracts the page as the article worker does (sites.yaml rules, settings.yaml limits) and\nprints its main text and metadata as JSON. A URL on a private address that is not a feed host\nor in fetch.allowAddresses is refused unless --allow-private.",
    options: {
      url: { type: 'string', value: 'BASE', help: "the page's URL, for relative links and sites.yaml rules when reading a file" },
      'allow-private': { type: 'boolean', help: 'fetch from private, loopback and link-local addresses this once' },
    },
  },
  'test-rule': {
    args: 'RULE_ID',
    maxArgs: 1,
    summary: 'show for each item of a feed whether the rule matches and why',
    usage: [
      'test-rule RULE_ID --feed URL|FILE|FEED_ID [--fetch-articles] [--json]',
      "test-rule --query '…' --feed URL|FILE|FEED_ID [--fetch-articles] [--json]",
      "test-rule RULE_ID|--query '…' --recent [--json]",
    ],
    details:
      'A match shows its hits in context, a miss the clauses that fail. Needs no Redis and sends\nnothing; --recent reads the recent articles kept in Redis.',
    options: {
      feed: { type: 'string', value: 'URL|FILE|FEED_ID', help: 'the feed whose items the rule is tried on' },
      query: { type: 'string', value: "'…'", help: 'a query not yet in rules.yaml, instead of RULE_ID' },
      recent: { type: 'boolean', help: 'try it on the recent articles kept in Redis instead of a feed' },
      'fetch-articles': { type: 'boolean', help: "read each item's article page too, as a feed with fetchArticle does" },
      json: { type: 'boolean', help: 'one JSON object per item instead of text' },
    },
  },
  failed: {
    maxArgs: 0,
    summary: 'list deliveries that ran out of attempts, with the last error',
    details: 'Also lists disabled subscriptions and the feeds whose polls fail (those are polled again on\ntheir schedule).',
    options: {},
  },
  retry: {
    args: 'ID | --all',
    maxArgs: 1,
    summary: 'send failed deliveries round again',
    details: 'Queues a failed delivery (ID from `newswatch failed`) or all of them again with fresh attempts;\na running start sends them at once, else the next start or run-once.',
    options: {
      all: { type: 'boolean', help: 'every failed delivery' },
    },
  },
  enable: {
    args: 'SUBSCRIPTION',
    maxArgs: 1,
    summary: 'turn back on a subscription disabled by a 410 Gone webhook',
    details: 'SUBSCRIPTION is the id that `newswatch failed` and `newswatch subscriptions` show.',
    options: {},
  },
  preview: {
    args: 'SUBSCRIPTION',
    maxArgs: 1,
    summary: 'render the next digest to files in $NEWSWATCH_DATA/preview',
    details: 'Renders the next digest of a digest subscription as it stands, without sending it.',
    options: {},
  },
  feeds: {
    maxArgs: 0,
    summary: "each feed's health: state, HTTP status, failures, items, next poll",
    details: "Each feed's health from Redis: state (ok, failing, flagged), HTTP status, last success,\nconsecutive failures, items, next poll and last error.",
    options: {},
  },
  status: {
    maxArgs: 0,
    summary: 'one screen: queues, feeds (the worst five failing), subscriptions, the last alert sent',
    details: "Each queue's waiting, active, delayed and failed jobs; feeds ok, failing, flagged and never\npolled, with the worst five; subscriptions by state; when the last alert was sent.",
    options: {
      json: { type: 'boolean', help: 'the same as one JSON object' },
    },
  },
  'import-opml': {
    args: 'FILE',
    maxArgs: 1,
    summary: 'add the feeds of an OPML export to feeds.yaml (comments kept)',
    details: "Adds the feeds of an OPML export (from any feed reader) to feeds.yaml, keeping its comments,\norder and layout; URLs already in feeds.yaml are skipped. Run `newswatch validate` after.",
    options: {
      'dry-run': { type: 'boolean', help: 'say what would be added, change nothing' },
    },
  },
  subscriptions: {
    maxArgs: 0,
    summary: 'every subscription, from YAML and Redis: state, target, rules, schedule',
    details: 'Lists the subscriptions of subscriptions.yaml and those created on the subscribe page or\nthrough the API: source, state, target, what it listens to, how often.',
    options: {
      json: { type: 'boolean', help: 'one JSON object per subscription instead of a table' },
    },
  },
  export: {
    maxArgs: 0,
    summary: 'the rules and subscriptions kept in Redis as YAML',
    details: 'Prints the rules and subscriptions kept in Redis as YAML, webhook secrets included (a backup).',
    options: {
      out: { type: 'string', value: 'DIR', help: 'write a full config directory (this one plus them) that validate accepts' },
    },
  },
  help: {
    args: '[COMMAND]',
    maxArgs: 1,
    summary: 'this overview, or the help of one command',
    details: 'The same as `newswatch COMMAND --help`.',
    options: {},
  },
};

/** User-facing environment variables with their defaults; test/cli/args.test.ts checks the code for more. */
const ENVIRONMENT: [string, string][] = [
  ['REDIS_URL', 'Redis to use [redis://127.0.0.1:6379 if it answers, else a managed redis-server]'],
  ['REDIS_CONNECT_TIMEOUT', 'seconds a command waits for Redis before it gives up [10]'],
  ['SMTP_URL', 'mail server, smtp:// or smtps:// [none: emails go to $NEWSWATCH_DATA/outbox]'],
  ['MAIL_FROM', 'sender address [Newswatch <newswatch@localhost>]'],
  ['NEWSWATCH_CONFIG', 'config directory [./config]'],
  ['NEWSWATCH_DATA', 'data directory: outbox, managed Redis, previews [./data]'],
  ['NEWSWATCH_PREFIX', 'prefix of every Redis key [newswatch]'],
  ['NEWSWATCH_SECRET', 'key of the HMACs in unsubscribe, confirm and feed links [a random key kept in Redis]'],
  ['NEWSWATCH_LOCK_MS', "BullMQ job lock: how soon a dead worker's jobs are taken over [30000]"],
  ['NEWSWATCH_HEAP_GROWTH', "how far (%) a worker's heap grows past its live objects before a full garbage collection; 0: as V8 chooses [100]"],
  ['PUBLIC_URL', 'public URL of this install, start of every link in emails [http://localhost:$HTTP_PORT]'],
  ['HTTP_HOST', 'address the web server listens on [127.0.0.1]'],
  ['HTTP_PORT', 'port of the web server [8080]'],
  ['ADMIN_TOKEN', 'bearer token of the API and /admin/queues [none: both off]'],
  ['LOG_LEVEL', 'debug, info, warn or error; debug adds stack traces to failures [info for start, else warn]'],
  ['LOG_FORMAT', 'json or pretty [pretty on a terminal, else json]'],
  ['NO_COLOR', 'set to anything: readable log lines without colours [colours on a terminal]'],
  ['TERM', "dumb: run-once draws no progress line on a terminal [the terminal's own]"],
];

const optionUsage = (name: string, o: OptionSpec & { short?: string }) =>
  `${o.short ? `-${o.short}, ` : ''}--${name}${o.value ? ` ${o.value}` : ''}`;

const usageOf = (name: string, c: CommandSpec): string => {
  const opts = Object.entries(c.options).map(([n, o]) => `[${optionUsage(n, o)}]`);
  return [name, c.args, ...opts].filter(Boolean).join(' ');
};

function table(rows: [string, string][], indent = '  '): string {
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, right]) => `${indent}${left.padEnd(width)}${right}`).join('\n');
}

export function overview(): string {
  const commands = table(Object.entries(COMMANDS).map(([name, c]) => [`${name}${c.args ? ` ${c.args}` : ''}`, c.summary]));
  const globals = table(Object.entries(GLOBAL_OPTIONS).map(([n, o]) => [optionUsage(n, o), o.help]));
  return `Usage: newswatch [--config DIR] <command> [options]

Commands:
${commands}

Options:
${globals}

\`newswatch <command> --help\` shows a command's options.

Environment [default]:
${table(ENVIRONMENT)}
`;
}

export function commandHelp(name: string): string {
  const c = COMMANDS[name]!;
  const usage = (c.usage ?? [usageOf(name, c)]).map((u, i) => `${i === 0 ? 'Usage:' : '      '} newswatch [--config DIR] ${u}`);
  const options = table([
    ...Object.entries(c.options).map(([n, o]): [string, string] => [optionUsage(n, o), o.help]),
    ...Object.entries(GLOBAL_OPTIONS).map(([n, o]): [string, string] => [optionUsage(n, o), o.help]),
  ]);
  return `${usage.join('\n')}

${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}.
${c.details}

Options:
${options}
`;
}

export type CommandLine =
  | { kind: 'help'; text: string; exitCode: number }
  | { kind: 'run'; command: string; args: string[]; config?: string; str(name: string): string | undefined; flag(name: string): boolean };

const ALL_OPTIONS = Object.fromEntries(
  [...Object.values(COMMANDS).flatMap((c) => Object.entries(c.options)), ...Object.entries(GLOBAL_OPTIONS)].map(([n, o]) => [
    n,
    { type: o.type, ...('short' in o && o.short ? { short: o.short } : {}) },
  ]),
) as Record<string, { type: 'string' | 'boolean'; short?: string }>;

const usageError = (message: string) => new CliError(message, 2);

/** Reads argv into the command to run, or the help to print; throws a CliError (exit 2) on a usage error. */
export function parseCommandLine(argv: string[]): CommandLine {
  // Every option of every command is declared so that a string option's value is never taken
  // for the command name; whether this command takes the option is checked below.
  const { positionals, tokens } = parseArgs({ args: argv, options: ALL_OPTIONS, allowPositionals: true, strict: false, tokens: true });
  const [command, ...args] = positionals;
  const wantsHelp = tokens.some((t) => t.kind === 'option' && t.name === 'help');
  if (command === undefined) {
    // `newswatch` alone: the overview, as a usage error.
    return { kind: 'help', text: overview(), exitCode: wantsHelp ? 0 : 2 };
  }
  const spec = COMMANDS[command];
  if (!spec) {
    const guess = closestId(command, Object.keys(COMMANDS));
    throw usageError(`unknown command "${command}"${guess ? ` (did you mean "${guess}"?)` : ''}; \`newswatch --help\` lists the commands`);
  }
  if (wantsHelp) return { kind: 'help', text: commandHelp(command), exitCode: 0 };
  if (command === 'help') {
    const about = args[0];
    if (about === undefined) return { kind: 'help', text: overview(), exitCode: 0 };
    if (!COMMANDS[about] || about === 'help') return parseCommandLine([about, '--help']);
    return { kind: 'help', text: commandHelp(about), exitCode: 0 };
  }

  const seeHelp = `; \`newswatch ${command} --help\` lists its options`;
  const values = new Map<string, string | boolean>();
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const option = spec.options[token.name] ?? GLOBAL_OPTIONS[token.name];
    if (!option) throw usageError(`${command}: unknown option ${token.rawName}${suggestion(command, token.name)}${seeHelp}`);
    if (option.type === 'string' && token.value === undefined) throw usageError(`${command}: ${token.rawName} needs a value (${token.rawName} ${option.value})${seeHelp}`);
    if (option.type === 'boolean' && token.inlineValue) throw usageError(`${command}: ${token.rawName} takes no value (it is a switch)${seeHelp}`);
    values.set(token.name, token.value ?? true);
  }
  if (args.length > spec.maxArgs) {
    const extra = args.slice(spec.maxArgs).map((a) => `"${a}"`).join(' ');
    const takes = spec.maxArgs === 0 ? 'takes no arguments' : `takes one argument (${spec.args})`;
    throw usageError(`${command} ${takes}, not ${extra}${seeHelp}`);
  }
  return {
    kind: 'run',
    command,
    args,
    config: values.get('config') as string | undefined,
    str: (name) => values.get(name) as string | undefined,
    flag: (name) => values.get(name) === true,
  };
}

/** " (did you mean --timeout?)" for a typo of one of the command's options, or which commands take it. */
function suggestion(command: string, typed: string): string {
  const own = [...Object.keys(COMMANDS[command]!.options), ...Object.keys(GLOBAL_OPTIONS)];
  const takers = Object.entries(COMMANDS)
    .filter(([, c]) => typed in c.options)
    .map(([n]) => n);
  if (takers.length > 0) return ` (it is an option of ${takers.join(', ')})`;
  const guess = closestId(typed, own);
  return guess ? ` (did you mean --${guess}?)` : '';
}
