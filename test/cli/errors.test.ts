// Ordinary failures of the commands in the README's table (a missing or wrong file, a URL that
// answers 404 or is not a feed, a broken URL) are one line on stderr saying the cause and what to
// do, with exit 1; a stack trace only with LOG_LEVEL=debug. Run as the real command.

import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from '../helpers/cli.js';
import { serve, startHttpServer, type TestServer } from '../helpers/http.js';

let server: TestServer;
let dir: string;
let config: string;

beforeAll(async () => {
  server = await startHttpServer();
  server.route('/page.html', serve('<html><body><p>Not a feed but a page.</p></body></html>', 'text/html'));
  dir = await mkdtemp(join(tmpdir(), 'newswatch-errors-'));
  config = join(dir, 'config');
  await mkdir(config);
  await writeFile(join(dir, 'notes.txt'), 'hello\nworld\n');
  await writeFile(join(dir, 'page.html'), '<html><body><p>A page.</p></body></html>');
});

afterAll(async () => {
  await server.close();
});

/** The run failed with exit 1 and exactly one line on stderr, which is returned. */
function oneLine(run: CliRun): string {
  expect(run.code).toBe(1);
  const lines = run.stderr.split('\n').filter((l) => l !== '');
  expect(lines, run.stderr).toHaveLength(1);
  expect(run.stderr).not.toMatch(/^\s+at /m);
  return lines[0] as string;
}

const cli = (...args: string[]) => runCli(['--config', config, ...args], {});

describe('parse-feed on ordinary failures', () => {
  it('says a missing file is missing, in one line', async () => {
    const line = oneLine(await cli('parse-feed', join(dir, 'nope.xml')));
    expect(line).toContain(join(dir, 'nope.xml'));
    expect(line).toMatch(/no such file.*check the path/);
  });

  it('says a directory is not a file', async () => {
    const line = oneLine(await cli('parse-feed', dir));
    expect(line).toMatch(/is a directory.*give the path of a file/);
  });

  it('keeps "not XML or JSON" on one line when the text starts with a line break', async () => {
    const line = oneLine(await cli('parse-feed', join(dir, 'notes.txt')));
    expect(line).toContain('not XML or JSON (starts with "hello\\nworld');
    expect(line).toMatch(/RSS, Atom or JSON Feed/);
  });

  it('says an HTTP 404 and what to check', async () => {
    const line = oneLine(await cli('parse-feed', `${server.url}/gone.xml`));
    expect(line).toContain('HTTP 404');
    expect(line).toMatch(/check the URL/);
  });

  it('says a page is not a feed and what to look for', async () => {
    const line = oneLine(await cli('parse-feed', `${server.url}/page.html`));
    expect(line).toContain('not a readable');
    expect(line).toMatch(/the feed's own URL/);
  });

  it('shows the stack trace with LOG_LEVEL=debug', async () => {
    const run = await runCli(['--config', config, 'parse-feed', join(dir, 'nope.xml')], { LOG_LEVEL: 'debug' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no such file/);
    expect(run.stderr).toMatch(/^\s+at /m);
  });
});

describe('extract on ordinary failures', () => {
  it('says a missing file is missing', async () => {
    expect(oneLine(await cli('extract', join(dir, 'nope.html')))).toMatch(/no such file.*check the path/);
  });

  it('says a directory is not a file', async () => {
    expect(oneLine(await cli('extract', dir))).toMatch(/is a directory.*give the path of a file/);
  });

  it('says an HTTP 404 and what to check', async () => {
    const line = oneLine(await cli('extract', `${server.url}/gone.html`, '--allow-private'));
    expect(line).toContain('HTTP 404');
    expect(line).toMatch(/check the URL/);
  });
});

describe('the other commands of the table on ordinary failures', () => {
  it('test-rule: a broken --feed URL is one line', async () => {
    const line = oneLine(await cli('test-rule', '--query', 'x', '--feed', 'http://bad^host/feed'));
    expect(line).toMatch(/not a valid URL.*check the URL/);
  });

  it('test-rule: a feed URL answering 404 is one line', async () => {
    expect(oneLine(await cli('test-rule', '--query', 'x', '--feed', `${server.url}/gone.xml`))).toContain('HTTP 404');
  });

  it('import-opml: a missing file is one line', async () => {
    expect(oneLine(await cli('import-opml', join(dir, 'nope.opml')))).toMatch(/no such file.*check the path/);
  });

  it('import-opml: a directory is one line', async () => {
    expect(oneLine(await cli('import-opml', dir))).toMatch(/is a directory.*give the path of a file/);
  });

  it('match: a --rules directory says it is a directory', async () => {
    const run = await cli('match', '--rules', dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/is a directory/);
    expect(run.stderr).not.toMatch(/permissions|EISDIR/);
  });

  it('validate: a --config that is a file says it must be a directory', async () => {
    const run = await runCli(['--config', join(dir, 'page.html'), 'validate'], {});
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/not a directory/);
    expect(run.stderr).toMatch(/point --config/);
    expect(run.stderr).not.toMatch(/permissions|ENOTDIR/);
  });
});
