// `newswatch parse-feed FILE|URL [--url BASE]`: the feed's normalised items as JSON on stdout.
// The feed is parsed in a sandbox thread under the parsing budget of settings.yaml, as the poll
// worker parses it; a feed that cannot be read or parsed is one line on stderr and exit 1.
// An item's content and contentHtml are left out when their text only repeats the summary (an
// RSS <description> is read as both): the pipeline still has them, so `content:` matches them.

import { loadSettingsFile } from '../config/load.js';
import type { Article } from '../feeds/article.js';
import { defaultSettings } from '../queue/context.js';
import { Sandbox } from '../sandbox/pool.js';
import { readSource } from './source.js';

export async function parseFeedCommand(target: string, base: string | undefined, configDir: string, env: NodeJS.ProcessEnv): Promise<number> {
  const settings = defaultSettings(env, await loadSettingsFile(configDir, env));
  const sandbox = new Sandbox(settings.parsing);
  try {
    const { text, url } = await readSource(target, settings.feedMaxBytes);
    const feed = await sandbox.parseFeed(text, target, { id: 'cli', url: base ?? url ?? 'http://localhost/' });
    process.stdout.write(`${JSON.stringify({ ...feed, items: feed.items.map(withoutRepeats) }, null, 2)}\n`);
    return 0;
  } finally {
    await sandbox.close();
  }
}

const sameText = (a: string, b: string) => a.replace(/\s+/g, ' ').trim().toLowerCase() === b.replace(/\s+/g, ' ').trim().toLowerCase();

/** The item without content and contentHtml when the content's text is the summary's. */
export function withoutRepeats(item: Article): Article {
  if (item.content === undefined || item.summary === undefined || !sameText(item.content, item.summary)) return item;
  const { content: _content, contentHtml: _contentHtml, ...rest } = item;
  return rest;
}
