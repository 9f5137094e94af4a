// `newswatch import-opml FILE [--dry-run]`: adds the feeds of an OPML export to feeds.yaml,
// keeping the file's comments and layout; feeds already listed are skipped. Prints what was
// added and skipped; run `newswatch validate` afterwards as after any edit.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addFeeds } from '../config/feeds-file.js';
import { readErrorLine } from '../config/errors.js';
import { CONFIG_FILES } from '../config/load.js';
import { OpmlError, parseOpml } from '../feeds/opml.js';
import { CliError } from './common.js';
import { readInputFile } from './source.js';

export async function importOpmlCommand(
  file: string,
  configDir: string,
  dryRun: boolean,
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  const opml = (await readInputFile(file)).toString('utf8');
  let feeds;
  try {
    feeds = parseOpml(opml, file);
  } catch (err) {
    if (err instanceof OpmlError) throw new CliError(err.message);
    throw err;
  }
  if (feeds.length === 0) throw new CliError(`${file}: no feeds found (no <outline> with an xmlUrl)`);

  const feedsPath = join(configDir, CONFIG_FILES.feeds);
  const current = await readFile(feedsPath, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw new CliError(readErrorLine(feedsPath, err));
  });
  let result;
  try {
    result = addFeeds(current, feeds, feedsPath);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  if (!dryRun && result.added.length > 0) await writeFile(feedsPath, result.text);

  const verb = dryRun ? 'would add' : 'added';
  out.write(`${feedsPath}: ${verb} ${result.added.length} feed(s), skipped ${result.skipped.length}\n`);
  for (const a of result.added) out.write(`  + ${a.id}  ${a.url}\n`);
  for (const s of result.skipped) out.write(`  - ${s.url}  (${s.reason})\n`);
  if (!dryRun && result.added.length > 0) out.write('Check with: newswatch validate\n');
  return 0;
}
