// `newswatch extract FILE|URL [--url BASE]`: the article's text and metadata as JSON on stdout.

import { extractArticle } from '../extract/index.js';
import { defaultSettings } from '../queue/context.js';
import { readSource } from './source.js';

export async function extractCommand(target: string, base: string | undefined): Promise<number> {
  const { text, url } = await readSource(target, defaultSettings().pageMaxBytes);
  const result = extractArticle(text, { url: base ?? url });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  return 0;
}
