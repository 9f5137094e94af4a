// Runs every feed file of a corpus through decodeBody → parseFeed → normaliseFeed, as the poll
// worker does, and counts per folder: files that yield items, files read with no items, files
// refused with a clear error (class "not-a-feed"), and crashes (anything else thrown). For the
// rss-parser corpus it compares each item's title and link with rss-parser's expected output;
// for the feedparser corpus it holds our fields against each file's `Expect:` answer
// (feedparser-check.ts says what is checked and what is skipped). Exits 1 on any crash, any
// title/link mismatch beyond the known ones listed below, or a feedparser pass rate below
// FEEDPARSER_TARGET, so CI catches regressions. It also reads every file's XML with sax alone
// and exits 1 if the fast reader's canonical form (xml-simple.ts) differs from it, and reads
// every feed again with half its ids known, as a poll would, and exits 1 if taking known items
// out before parsing (known-items.ts) changes what the poll gets. Usage: npm run eval:feeds -- ../shared/corpora/feeds

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { decodeBody } from '../src/feeds/charset.js';
import { FetchError } from '../src/feeds/fetch.js';
import { loadDom } from '../src/feeds/html-dom.js';
import { feedInfo, htmlToText, normaliseFeed, normaliseFeedItems } from '../src/feeds/normalise.js';
import { parseFeed, type ParsedFeed } from '../src/feeds/parse.js';
import { canonicalFeedXml } from '../src/feeds/xml-canonical.js';
import { readSimpleXml } from '../src/feeds/xml-simple.js';
import type { Article } from '../src/feeds/article.js';
import { checkExpectation, type Verdict } from './feedparser-check.js';
import { expectLine, parseExpression } from './feedparser-expect.js';

const FEED_EXTENSIONS = new Set(['.xml', '.rss', '.atom', '.rdf', '.json']);
const BASE_URL = 'http://example.com/feed.xml';
/** Where feedparser's test server serves its files; its `Expect:` answers resolve links against it. */
const FEEDPARSER_URL = 'http://127.0.0.1:8097/tests/';

/** The URL a corpus file counts as fetched from. */
export function documentUrl(file: string): string {
  const parts = file.split(/[\\/]/);
  const at = parts.indexOf('feedparser');
  return at < 0 ? BASE_URL : FEEDPARSER_URL + parts.slice(at + 1).join('/');
}

/**
 * Title/link differences from rss-parser's expected output that are deliberate, keyed
 * "file#item:field", with the reason. Anything not listed here is a regression. (Expected values
 * containing U+FFFD are skipped as a rule: rss-parser read that Latin-1 file as UTF-8, we do not.)
 */
const KNOWN_MISMATCHES: Record<string, string> = {};
/** Share of the checkable feedparser assertions that must pass (docs/feeds.md explains the rest). */
const FEEDPARSER_TARGET = 0.95;
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

export interface Evaluated {
  result: FileResult;
  bytes: Buffer;
  contentType?: string;
  text?: string;
  parsed?: ParsedFeed;
  articles?: Article[];
}

export async function evaluateFile(path: string, root: string): Promise<Evaluated> {
  const file = relative(root, path);
  const folder = dirname(file);
  const bytes = readFileSync(path);
  const contentType = declaredContentType(bytes.toString('latin1'));
  let text: string | undefined;
  try {
    text = decodeBody(bytes, contentType);
    const parsed = await settleWithin(parseFeed(text, file), HANG_MS, file);
    const articles = normaliseFeed(parsed, { id: 'eval', url: documentUrl(file) });
    return { result: { file, folder, outcome: articles.length > 0 ? 'items' : 'empty', items: articles.length }, bytes, contentType, text, parsed, articles };
  } catch (err) {
    if (err instanceof FetchError && err.errorClass === 'not-a-feed') {
      return { result: { file, folder, outcome: 'refused', items: 0, detail: err.message }, bytes, contentType, text };
    }
    return { result: { file, folder, outcome: 'crash', items: 0, detail: (err as Error).stack ?? String(err) }, bytes, contentType, text };
  }
}

export interface Assertion {
  file: string;
  folder: string;
  verdict: Verdict;
}

/** The verdicts on a feedparser file's `Expect:` conjuncts; none when it has no Expect line. */
export function feedparserAssertions(evaluated: Evaluated): Assertion[] {
  const { file, folder } = evaluated.result;
  const line = expectLine(evaluated.bytes.toString('latin1'));
  if (!line) return [];
  let verdicts: Verdict[];
  try {
    verdicts = checkExpectation(parseExpression(line), {
      bytes: evaluated.bytes,
      contentType: evaluated.contentType,
      text: evaluated.text,
      feed: evaluated.parsed && feedInfo(evaluated.parsed, documentUrl(file)),
      articles: evaluated.articles,
      error: evaluated.parsed ? undefined : (evaluated.result.detail ?? evaluated.result.outcome),
    }, evaluated.text ?? evaluated.bytes.toString('latin1'));
  } catch (err) {
    verdicts = [{ status: 'skip', reason: `Expect not understood (${(err as Error).message.slice(0, 60)})` }];
  }
  return verdicts.map((verdict) => ({ file, folder, verdict }));
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
      // Titles as Newswatch shows them: text (rss-parser gives the raw value, HTML or not).
      const a = (field === 'title' ? htmlToText(got?.title) : got?.link?.trim()) ?? '';
      const same = e === a || (field === 'title' && (htmlToText(e) ?? '') === a);
      if (!same && !e.includes(MOJIBAKE)) mismatches.push({ file, index, field, expected: e, actual: a });
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
  // Feed HTML that the simple reader leaves to cheerio is read here, on the main thread.
  await loadDom();
  const root = resolve(process.argv[2] ?? '../shared/corpora/feeds');
  if (!existsSync(root)) {
    process.stderr.write(`eval:feeds: no corpus at ${root}; pass its path: npm run eval:feeds -- ../shared/corpora/feeds\n`);
    return 2;
  }
  const started = Date.now();
  const results: FileResult[] = [];
  const mismatches: Mismatch[] = [];
  const assertions: Assertion[] = [];
  const readers = { fast: 0, sax: 0, differ: [] as string[] };
  const knownItems = { taken: 0, none: 0, differ: [] as string[] };
  for (const path of feedFiles(root)) {
    const evaluated = await evaluateFile(path, root);
    const { result, parsed } = evaluated;
    results.push(result);
    if (evaluated.text !== undefined) {
      const reader = readerAgreement(evaluated.text);
      if (reader === 'differ') readers.differ.push(result.file);
      else readers[reader]++;
    }
    if (evaluated.text !== undefined && parsed) {
      const agreement = await knownAgreement(evaluated.text, result.file, parsed);
      if (agreement === 'differ') knownItems.differ.push(result.file);
      else knownItems[agreement]++;
    }
    if (relative(root, path).split(/[\\/]/).includes('feedparser')) assertions.push(...feedparserAssertions(evaluated));
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
  process.stdout.write(`XML readers: ${readers.fast} files read by the fast reader, ${readers.sax} left to sax, ${readers.differ.length} with a canonical form other than sax's\n`);
  for (const file of readers.differ.slice(0, 20)) process.stdout.write(`  READER DIFFERS ${file}\n`);
  process.stdout.write(`Known items: ${knownItems.taken} feeds had known items taken out before parsing, ${knownItems.none} none, ${knownItems.differ.length} with a result other than parsing every item\n`);
  for (const file of knownItems.differ.slice(0, 20)) process.stdout.write(`  KNOWN ITEMS DIFFER ${file}\n`);
  const rate = reportAssertions(assertions);
  const missed = rate < FEEDPARSER_TARGET;
  process.stdout.write(`\n${results.length} files in ${((Date.now() - started) / 1000).toFixed(1)} s: ${crashes.length} crash(es), ${unexpected.length} unexpected mismatch(es), feedparser assertions ${(rate * 100).toFixed(1)} % passed (target ${(FEEDPARSER_TARGET * 100).toFixed(0)} %)\n`);
  return crashes.length > 0 || unexpected.length > 0 || missed || readers.differ.length > 0 || knownItems.differ.length > 0 ? 1 : 0;
}

/**
 * Whether a poll that knows every other item of the feed gets the same items, known ids and
 * repeats with known items taken out before parsing ('taken'; 'none' when no item could be)
 * as with every item parsed.
 */
export async function knownAgreement(text: string, file: string, parsed: ParsedFeed): Promise<'taken' | 'none' | 'differ'> {
  const ref = { id: 'eval', url: documentUrl(file) };
  const now = new Date('2026-01-01T00:00:00Z');
  const ids = normaliseFeedItems(parsed, ref, now).items.map((a) => a.id);
  const known = ids.filter((_, i) => i % 2 === 0);
  if (known.length === 0) return 'none';
  const quick = await parseFeed(text, file, { known: new Set(known) });
  const same = JSON.stringify(normaliseFeedItems(quick, ref, now, { known })) === JSON.stringify(normaliseFeedItems(parsed, ref, now, { known }));
  if (!same) return 'differ';
  return quick.identified ? 'taken' : 'none';
}


/**
 * Whether the fast XML reader read the text ('fast') or left it to sax ('sax'), and in either
 * case gave canonicalFeedXml the result of sax alone (asked with positions, sax reads it all).
 */
export function readerAgreement(text: string): 'fast' | 'sax' | 'differ' {
  const read = (position: boolean) => {
    try {
      const { root, events } = canonicalFeedXml(text, { position });
      return JSON.stringify({ root, events });
    } catch (err) {
      return `error: ${(err as Error).message.split('\n')[0]}`;
    }
  };
  if (read(false) !== read(true)) return 'differ';
  return readSimpleXml([text], { openTag() {}, closeTag() {}, text() {} }) ? 'fast' : 'sax';
}

/** Prints passed / failed / skipped per folder, the skip reasons and the failures; returns the pass rate. */
function reportAssertions(assertions: Assertion[]): number {
  const by = (status: Verdict['status'], list: Assertion[]) => list.filter((a) => a.verdict.status === status);
  const rows = [['feedparser Expect', 'passed', 'failed', 'skipped', 'pass rate']];
  const folders = [...new Set(assertions.map((a) => a.folder))].sort();
  for (const folder of [...folders, 'ALL']) {
    const list = folder === 'ALL' ? assertions : assertions.filter((a) => a.folder === folder);
    const [passed, failed] = [by('pass', list).length, by('fail', list).length];
    rows.push([folder, String(passed), String(failed), String(by('skip', list).length), passed + failed ? `${((100 * passed) / (passed + failed)).toFixed(1)} %` : '-']);
  }
  process.stdout.write(`\n${table(rows)}\n`);
  const reasons = new Map<string, number>();
  for (const a of by('skip', assertions)) {
    const reason = (a.verdict as { reason: string }).reason.replace(/ \(.*$/, '');
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  process.stdout.write(`\nSkipped (not a field Newswatch exposes, or not translatable):\n`);
  const sorted = [...reasons].sort((a, b) => b[1] - a[1]);
  for (const [reason, n] of sorted.slice(0, 30)) process.stdout.write(`  ${String(n).padStart(5)}  ${reason}\n`);
  if (sorted.length > 30) process.stdout.write(`  ${String(sorted.slice(30).reduce((sum, [, n]) => sum + n, 0)).padStart(5)}  ${sorted.length - 30} other reasons\n`);
  const failed = by('fail', assertions);
  if (failed.length) process.stdout.write(`\nFailed (${failed.length}):\n`);
  for (const a of failed) process.stdout.write(`  ${a.file}: ${(a.verdict as { detail: string }).detail.slice(0, 300)}\n`);
  const checked = assertions.length - by('skip', assertions).length;
  return checked ? by('pass', assertions).length / checked : 1;
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
