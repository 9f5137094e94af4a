// `newswatch parse-feed FILE|URL [--url BASE]`: the feed's normalised items as JSON on stdout.
// The feed is parsed in a sandbox thread under the parsing budget of settings.yaml, as the poll
// worker parses it; a feed that cannot be read or parsed is one line on stderr and exit 1.

import { loadSettingsFile } from '../config/load.js';
import { defaultSettings } from '../queue/context.js';
import { Sandbox } from '../sandbox/pool.js';
import { readSource } from './source.js';

export async function parseFeedCommand(target: string, base: string | undefined, configDir: string, env: NodeJS.ProcessEnv): Promise<number> {
  const settings = defaultSettings(env, await loadSettingsFile(configDir, env));
  const sandbox = new Sandbox(settings.parsing);
  try {
    const { text, url } = await readSource(target, settings.feedMaxBytes);
    const feed = await sandbox.parseFeed(text, target, { id: 'cli', url: base ?? url ?? 'http://localhost/' });
    process.stdout.write(`${JSON.stringify(feed, null, 2)}\n`);
    return 0;
  } finally {
    await sandbox.close();
  }
}
