// `newswatch extract FILE|URL [--url BASE]`: the article's text and metadata as JSON on stdout,
// with the config directory's sites.yaml overrides and settings.yaml limits applied, as the
// article worker applies them: a URL is read as the worker reads pages, and the page is parsed
// in a sandbox thread under the parsing budget. A page over the budget or that cannot be read
// is one line on stderr and exit 1. As in the worker, a URL (and each redirect) on a private,
// loopback or link-local address is refused unless it is a feed host of feeds.yaml or in
// fetch.allowAddresses of settings.yaml; `--allow-private` lifts the check for one run. Only HTML
// and XHTML are extracted (a URL by its content type, a file by its first bytes).

import { loadFeedsFile, loadSettingsFile, loadSiteRules } from '../config/load.js';
import type { Extracted } from '../extract/index.js';
import { addressPolicy } from '../feeds/address-guard.js';
import { isHtml, readArticlePage } from '../feeds/article-page.js';
import { decodeBody } from '../feeds/charset.js';
import { FetchError } from '../feeds/fetch.js';
import { defaultSettings } from '../queue/context.js';
import { Sandbox } from '../sandbox/pool.js';
import { CliError } from './common.js';
import { readInputFile } from './source.js';

export interface ExtractOptions {
  /** The page URL for relative links and site rules, when reading a file or a redirecting URL. */
  base?: string;
  /** Fetch from private, loopback and link-local addresses too. */
  allowPrivate?: boolean;
}

export async function extractCommand(target: string, options: ExtractOptions, configDir: string, env: NodeJS.ProcessEnv): Promise<number> {
  const { base } = options;
  const siteRules = await loadSiteRules(configDir, env);
  const settings = defaultSettings(env, await loadSettingsFile(configDir, env));
  const isUrl = /^https?:\/\//i.test(target);
  const guard = isUrl && !options.allowPrivate ? addressPolicy(await loadFeedsFile(configDir, env), settings.allowAddresses) : undefined;
  const sandbox = new Sandbox(settings.parsing);
  let result: Extracted;
  try {
    result = isUrl
      ? await readArticlePage(target, { settings, siteRules, sandbox, guard }, base)
      : await sandbox.extract(decodeBody(await readPageFile(target, settings.pageMaxBytes)), { url: base, siteRules });
  } catch (err) {
    if (err instanceof FetchError && err.errorClass === 'blocked-address') throw new CliError(`${err.message}, or pass --allow-private to read it this once`);
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
  const body = await readInputFile(path);
  if (body.length > maxBytes) throw new CliError(`${path}: ${body.length} bytes is more than fetch.pageMaxSize (${maxBytes} bytes) in settings.yaml`);
  if (!isHtml(null, body)) throw new CliError(`${path}: not an HTML page (it does not start with markup); only HTML and XHTML pages are extracted`);
  return body;
}
