// The command line: `newswatch <command> --help` shows that command's usage and options, an
// option the command does not take is a one-line usage error (exit 2) with a did-you-mean, and
// the overview lists every environment variable the code reads.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS, commandHelp, parseCommandLine } from '../../src/cli/args.js';
import { CliError } from '../../src/cli/common.js';
import { runCli } from '../helpers/cli.js';

function usageError(argv: string[]): string {
  try {
    parseCommandLine(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(2);
    expect((err as Error).message).not.toContain('\n');
    return (err as Error).message;
  }
  throw new Error(`${argv.join(' ')} parsed without a usage error`);
}

// Every option each command's code reads, as the switch in main.ts hands them on.
const OPTIONS_OF: Record<string, string[]> = {
  start: ['--only'],
  'run-once': ['--timeout'],
  match: ['--rules', '--explain'],
  'parse-feed': ['--url'],
  extract: ['--url', '--allow-private'],
  'test-rule': ['--feed', '--query', '--recent', '--fetch-articles', '--json'],
  retry: ['--all'],
  'import-opml': ['--dry-run'],
  status: ['--json'],
  subscriptions: ['--json'],
  export: ['--out'],
};

describe('newswatch <command> --help', () => {
  for (const command of Object.keys(COMMANDS)) {
    it(`${command} --help and -h print its usage and every option it takes`, () => {
      for (const flag of ['--help', '-h']) {
        const parsed = parseCommandLine([command, flag]);
        expect(parsed.kind).toBe('help');
        if (parsed.kind !== 'help') return;
        expect(parsed.exitCode).toBe(0);
        expect(parsed.text).toMatch(new RegExp(`^Usage: newswatch \\[--config DIR\\] ${command}\\b`));
        for (const option of [...(OPTIONS_OF[command] ?? []), '--config', '--help']) expect(parsed.text).toContain(option);
      }
    });
  }

  it('help COMMAND is the same as COMMAND --help', () => {
    expect(parseCommandLine(['help', 'run-once'])).toEqual(parseCommandLine(['run-once', '--help']));
  });

  it('prints the help of the command and exits 0, as the real command', async () => {
    const run = await runCli(['run-once', '--help'], {});
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(commandHelp('run-once'));
    expect(run.stdout).toContain('--timeout SECONDS');
    expect(run.stdout).not.toContain('import-opml');
  });
});

describe('options a command does not take', () => {
  it('a command without options: one line naming the option and where to look, exit 2', () => {
    const message = usageError(['validate', '--bogus']);
    expect(message).toBe('validate: unknown option --bogus; `newswatch validate --help` lists its options');
  });

  it('a typo of a string option: did you mean', () => {
    expect(usageError(['run-once', '--timout', '60'])).toContain('unknown option --timout (did you mean --timeout?)');
  });

  it('a typo of a switch: did you mean', () => {
    expect(usageError(['import-opml', 'feeds.opml', '--dryrun'])).toContain('(did you mean --dry-run?)');
  });

  it('a command with an argument and options: did you mean', () => {
    expect(usageError(['extract', 'page.html', '--allow-privat'])).toContain('(did you mean --allow-private?)');
  });

  it("another command's option says which commands take it", () => {
    expect(usageError(['feeds', '--json'])).toContain('unknown option --json (it is an option of test-rule, status, subscriptions)');
  });

  it('an unknown short option', () => {
    expect(usageError(['feeds', '-x'])).toContain('feeds: unknown option -x');
  });

  it('a string option without its value', () => {
    expect(usageError(['run-once', '--timeout'])).toContain('run-once: --timeout needs a value (--timeout SECONDS)');
  });

  it('a stray argument', () => {
    expect(usageError(['validate', 'config/'])).toContain('validate takes no arguments, not "config/"');
    expect(usageError(['parse-feed', 'a.xml', 'b.xml'])).toContain('parse-feed takes one argument (FILE|URL), not "b.xml"');
  });

  it('an unknown command: did you mean', () => {
    expect(usageError(['run-onse'])).toContain('unknown command "run-onse" (did you mean "run-once"?)');
  });

  it('the real command prints one line and exits 2', async () => {
    const run = await runCli(['run-once', '--timout', '5'], {});
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('newswatch: run-once: unknown option --timout (did you mean --timeout?); `newswatch run-once --help` lists its options\n');
  });

  it('options still reach the command, before or after it', () => {
    const parsed = parseCommandLine(['--config', 'cfg', 'test-rule', 'r1', '--feed', 'f.xml', '--json']);
    expect(parsed.kind).toBe('run');
    if (parsed.kind !== 'run') return;
    expect([parsed.command, parsed.args, parsed.config, parsed.str('feed'), parsed.flag('json'), parsed.flag('recent')]).toEqual([
      'test-rule',
      ['r1'],
      'cfg',
      'f.xml',
      true,
      false,
    ]);
  });
});

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name));
}

describe('the overview', () => {
  it('lists, with a default, every environment variable that src/ and workers/ read', async () => {
    const names = new Set<string>();
    for (const file of [...(await sourceFiles('src')), ...(await sourceFiles('workers'))]) {
      for (const m of (await readFile(file, 'utf8')).matchAll(/\benv\??\.([A-Z][A-Z0-9_]+)/g)) names.add(m[1] as string);
    }
    expect(names.size).toBeGreaterThan(10);
    const run = await runCli(['--help'], {});
    expect(run.code).toBe(0);
    const environment = run.stdout.slice(run.stdout.indexOf('Environment'));
    for (const name of names) expect(environment).toMatch(new RegExp(`^  ${name} +.*\\[.+\\]$`, 'm'));
  });
});
