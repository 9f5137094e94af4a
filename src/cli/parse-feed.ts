// `newswatch parse-feed FILE|URL [--url BASE]`: the feed's normalised items as JSON on stdout.

import { normaliseFeed } from '../feeds/normalise.js';
import { parseFeed } from '../feeds/parse.js';
import { defaultSettings } from '../queue/context.js';
import { readSource } from './source.js';

export async function parseFeedCommand(target: string, base: string | undefined): Promise<number> {
  const { text, url } = await readSource(target, defaultSettings().feedMaxBytes);
  const feedUrl = base ?? url ?? 'http://localhost/';
  const parsed = await parseFeed(text, target);
  const items = normaliseFeed(parsed, { id: 'cli', url: feedUrl });
  process.stdout.write(`${JSON.stringify({ title: parsed.title, link: parsed.link, language: parsed.language, items }, null, 2)}\n`);
  return 0;
}
