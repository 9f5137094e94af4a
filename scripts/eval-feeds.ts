// Runs every feed file of a corpus through decodeBody → parseFeed → normaliseFeed, as the poll
// worker does, and counts per folder: files that yield items, files read with no items, files
// refused with a clear error (class "not-a-feed"), and crashes (anything else thrown). For the
// rss-parser corpus it compares each item's title and link with rss-parser's expected output.
// Exits 1 on any crash or any title/link mismatch beyond the known ones listed below, so CI
// catches regressions. Usage: npm run eval:feeds -- ../shared/corpora/feeds

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { decodeBody } from '../src/feeds/charset.js';
import { FetchError } from '../src/feeds/fetch.js';
import { normaliseFeed } from '../src/feeds/normalise.js';
import { parseFeed, type ParsedFeed } from '../src/feeds/parse.js';

const FEED_EXTENSIONS = new Set(['.xml', '.rss', '.atom', '.rdf', '.json']);
const BASE_URL = 'http://example.com/feed.xml';

/**
 * Title/link differences from rss-parser's expected output that are deliberate, keyed
 * "file#item:field", with the reason. Anything not listed here is a regression. (Expected values
 * containing U+FFFD are skipped as a rule: rss-parser read that Latin-1 file as UTF-8, we do not.)
 */
const KNOWN_MISMATCHES: Record<string, string> = {};
const MOJIBAKE = '\uFFFD';

export type Outcome = 'items' | 'empty' | 'refused' | 'crash';

export interface FileResult {
  file: string;
  folder: string;
  outcome: Outcome;
  items: number;
  detail?: string;
}

export interface Mismatch {
  file: string;
  index: number;
  field: 'title' | 'link' | 'count';
  expected: string;
  actual: string;
}

/** The Content-Type a feedparser test case says its server sent ("Header: Content-type: …"). */
export function declaredContentType(text: string): string | undefined {
  return /^\s*Header:\s*Content-type:\s*(.+)$/im.exec(text.slice(0, 2048))?.[1]?.trim();
}

/** A parse that has not settled by then counts as a crash (it would hold a poll job forever). */
const HANG_MS = 10_000;

function settleWithin<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms (hung)`)), ms);
  });
  return Promise.race([promise, hang]).finally(() => clearTimeout(timer));
}

export async function evaluateFile(path: string, root: string): Promise<{ result: FileResult; parsed?: ParsedFeed }> {
  const file = relative(root, path);
  const folder = dirname(file);
  try {
    const bytes = readFileSync(path);
    const text = decodeBody(bytes, declaredContentType(bytes.toString('latin1')));
    const parsed = await settleWithin(parseFeed(text, file), HANG_MS, file);
    const items = normaliseFeed(parsed, { id: 'eval', url: BASE_URL });
    return { result: { file, folder, outcome: items.length > 0 ? 'items' : 'empty', items: items.length }, parsed };
  } catch (err) {
    if (err instanceof FetchError && err.errorClass === 'not-a-feed') {
      return { result: { file, folder, outcome: 'refused', items: 0, detail: err.message } };
    }
    return { result: { file, folder, outcome: 'crash', items: 0, detail: (err as Error).stack ?? String(err) } };
  }
}

/** Title and link of each item against rss-parser's own output for the same input. */
export function compareWithExpected(file: string, parsed: ParsedFeed, expected: { feed?: { items?: { title?: unknown; link?: unknown }[] } }): Mismatch[] {
  const want = expected.feed?.items ?? [];
  const mismatches: Mismatch[] = [];
  if (want.length !== parsed.items.length) {
    mismatches.push({ file, index: -1, field: 'count', expected: String(want.length), actual: String(parsed.items.length) });
  }
  want.forEach((item, index) => {
    const got = parsed.items[index];
    for (const field of ['title', 'link'] as const) {
      const e = typeof item[field] === 'string' ? (item[field] as string).trim() : '';
      const a = got?.[field]?.trim() ?? '';
      if (e !== a && !e.includes(MOJIBAKE)) mismatches.push({ file, index, field, expected: e, actual: a });
    }
  });
  return mismatches;
}

function feedFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      // rss-parser's expected outputs are answers, not feeds.
      if (!(name === 'output' && basename(dir) === 'rss-parser')) out.push(...feedFiles(path));
    } else if (FEED_EXTENSIONS.has(extname(name).toLowerCase())) {
      out.push(path);
    }
  }
  return out;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ')).join('\n');
}

async function main(): Promise<number> {
  const root = resolve(process.argv[2] ?? '../shared/corpora/feeds');
  if (!existsSync(root)) {
    process.stderr.write(`eval:feeds: no corpus at ${root}; pass its path: npm run eval:feeds -- ../shared/corpora/feeds\n`);
    return 2;
  }
  const started = Date.now();
  const results: FileResult[] = [];
  const mismatches: Mismatch[] = [];
  for (const path of feedFiles(root)) {
    const { result, parsed } = await evaluateFile(path, root);
    results.push(result);
    const expectedPath = join(dirname(path), '..', 'output', `${basename(path, extname(path))}.json`);
    if (basename(dirname(path)) === 'input' && existsSync(expectedPath)) {
      if (!parsed) mismatches.push({ file: result.file, index: -1, field: 'count', expected: 'a feed', actual: result.outcome });
      else mismatches.push(...compareWithExpected(result.file, parsed, JSON.parse(readFileSync(expectedPath, 'utf8'))));
    }
  }

  const folders = [...new Set(results.map((r) => r.folder))].sort();
  const count = (rs: FileResult[], o: Outcome) => String(rs.filter((r) => r.outcome === o).length);
  const rows = [['folder', 'files', 'items', 'no items', 'refused', 'crashed', 'items total']];
  for (const folder of [...folders, 'ALL']) {
    const rs = folder === 'ALL' ? results : results.filter((r) => r.folder === folder);
    rows.push([folder, String(rs.length), count(rs, 'items'), count(rs, 'empty'), count(rs, 'refused'), count(rs, 'crash'), String(rs.reduce((n, r) => n + r.items, 0))]);
  }
  process.stdout.write(`${table(rows)}\n\n`);

  const refused = results.filter((r) => r.outcome === 'refused');
  if (refused.length) {
    process.stdout.write(`Refused with a clear error (first 15 of ${refused.length}):\n`);
    for (const r of refused.slice(0, 15)) process.stdout.write(`  ${r.detail}\n`);
    process.stdout.write('\n');
  }
  const crashes = results.filter((r) => r.outcome === 'crash');
  for (const r of crashes) process.stdout.write(`CRASH ${r.file}\n${r.detail}\n\n`);

  const compared = results.filter((r) => r.folder.endsWith(join('rss-parser', 'input'))).length;
  const unexpected = mismatches.filter((m) => !(`${m.file}#${m.index}:${m.field}` in KNOWN_MISMATCHES));
  const itemChecks = mismatches.length === 0 ? 'all titles and links match' : `${mismatches.length} difference(s), ${unexpected.length} unexpected`;
  process.stdout.write(`rss-parser expected output: ${compared} feeds compared, ${itemChecks}\n`);
  for (const m of unexpected.slice(0, 100)) {
    process.stdout.write(`  MISMATCH ${m.file} item ${m.index} ${m.field}: expected ${JSON.stringify(m.expected)}, got ${JSON.stringify(m.actual)}\n`);
  }
  process.stdout.write(`\n${results.length} files in ${((Date.now() - started) / 1000).toFixed(1)} s: ${crashes.length} crash(es), ${unexpected.length} unexpected mismatch(es)\n`);
  return crashes.length > 0 || unexpected.length > 0 ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`eval:feeds: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
