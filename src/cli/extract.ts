// `newswatch extract FILE|URL [--url BASE]`: the article's text and metadata as JSON on stdout,
// with the config directory's sites.yaml overrides applied, as the article worker does.

import { loadSiteRules } from '../config/load.js';
import { extractArticle } from '../extract/index.js';
import { defaultSettings } from '../queue/context.js';
import { readSource } from './source.js';

export async function extractCommand(target: string, base: string | undefined, configDir: string, env: NodeJS.ProcessEnv): Promise<number> {
  const siteRules = await loadSiteRules(configDir, env);
  const { text, url } = await readSource(target, defaultSettings().pageMaxBytes);
  const result = extractArticle(text, { url: base ?? url, siteRules });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  return 0;
}
