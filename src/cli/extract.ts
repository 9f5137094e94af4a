// `newswatch extract FILE|URL [--url BASE]`: the article's text and metadata as JSON on stdout,
// with the config directory's sites.yaml overrides and settings.yaml limits applied, as the
// article worker applies them: a URL is read as the worker reads pages, and the page is parsed
// in a sandbox thread under the parsing budget. A page over the budget or that cannot be read
// is one line on stderr and exit 1.

import { readFile } from 'node:fs/promises';
import { loadSettingsFile, loadSiteRules } from '../config/load.js';
import type { Extracted } from '../extract/index.js';
import { readArticlePage } from '../feeds/article-page.js';
import { decodeBody } from '../feeds/charset.js';
import { FetchError } from '../feeds/fetch.js';
import { defaultSettings } from '../queue/context.js';
import { Sandbox } from '../sandbox/pool.js';
import { CliError } from './common.js';

export async function extractCommand(target: string, base: string | undefined, configDir: string, env: NodeJS.ProcessEnv): Promise<number> {
  const siteRules = await loadSiteRules(configDir, env);
  const settings = defaultSettings(env, await loadSettingsFile(configDir, env));
  const sandbox = new Sandbox(settings.parsing);
  let result: Extracted;
  try {
    result = /^https?:\/\//i.test(target)
      ? await readArticlePage(target, { settings, siteRules, sandbox }, base)
      : await sandbox.extract(decodeBody(await readPageFile(target, settings.pageMaxBytes)), { url: base, siteRules });
  } catch (err) {
    if (err instanceof FetchError) throw new CliError(err.message);
    throw err;
  } finally {
    await sandbox.close();
  }
  if (result.flattenedTags) {
    process.stderr.write(`newswatch: note: ${target} nests elements deeper than ${settings.parsing.maxDepth} levels; ${result.flattenedTags} tags below that were dropped before parsing (their text is kept)\n`);
  }
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  return 0;
}

async function readPageFile(path: string, maxBytes: number): Promise<Buffer> {
  let body: Buffer;
  try {
    body = await readFile(path);
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  if (body.length > maxBytes) throw new CliError(`${path}: ${body.length} bytes is more than fetch.pageMaxSize (${maxBytes} bytes) in settings.yaml`);
  return body;
}
