// Measures extractArticle on a corpus of real pages with known main content (one folder per
// page: source.html, expected.html, expected-metadata.json): token F1 of the text, title exact
// match, and speed against Mozilla Readability on jsdom in the same run, both in process and as
// the workers run it (in a sandbox thread, so the pool's cost per page shows). Exits 1 on a
// missed target so CI catches regressions. Usage: npm run eval:extract -- ../shared/corpora/readability

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Readability } from '@mozilla/readability';
import { load } from 'cheerio';
import { JSDOM, VirtualConsole } from 'jsdom';
import { extractArticle, toPlainText } from '../src/extract/index.js';
import { Sandbox } from '../src/sandbox/pool.js';

const TARGETS = { meanF1: 0.93, minF1: 0.5, titleMatch: 0.9, speedup: 3 };
// The URL the corpus's expected output was produced with; relative links resolve against it.
const PAGE_URL = 'http://fakehost/test/page.html';

interface Case {
  name: string;
  source: string;
  expectedText: string;
  expectedTitle: string;
}

interface Row {
  name: string;
  f1: number;
  titleMatch: boolean;
  title: string;
  expectedTitle: string;
  readabilityF1: number;
}

const CJK = /([\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}])/gu;

/**
 * Tokens for F1: NFKC-normalised, lower-cased runs of letters, digits and combining marks;
 * each Han/Hiragana/Katakana character is a token of its own (those scripts use no spaces).
 */
export function tokenize(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().replace(CJK, ' $1 ').match(/[\p{L}\p{N}\p{M}]+/gu) ?? [];
}

/** Token-level F1 of `actual` against `expected`, counting repeated tokens (bag of words). */
export function tokenF1(actual: string, expected: string): number {
  const a = tokenize(actual);
  const e = tokenize(expected);
  if (a.length === 0 && e.length === 0) return 1;
  if (a.length === 0 || e.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const token of e) counts.set(token, (counts.get(token) ?? 0) + 1);
  let overlap = 0;
  for (const token of a) {
    const left = counts.get(token) ?? 0;
    if (left > 0) {
      overlap++;
      counts.set(token, left - 1);
    }
  }
  if (overlap === 0) return 0;
  const precision = overlap / a.length;
  const recall = overlap / e.length;
  return (2 * precision * recall) / (precision + recall);
}

function readCases(dir: string): Case[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'source.html')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const folder = join(dir, name);
      const expectedHtml = readFileSync(join(folder, 'expected.html'), 'utf8');
      const metadata = JSON.parse(readFileSync(join(folder, 'expected-metadata.json'), 'utf8')) as { title?: string };
      return {
        name,
        source: readFileSync(join(folder, 'source.html'), 'utf8'),
        expectedText: toPlainText(load(expectedHtml).root()[0]!),
        expectedTitle: metadata.title ?? '',
      };
    });
}

const quiet = new VirtualConsole();

function runReadability(source: string): { title: string; text: string } {
  const dom = new JSDOM(source, { url: PAGE_URL, virtualConsole: quiet });
  try {
    const article = new Readability(dom.window.document).parse();
    return { title: article?.title ?? '', text: article?.textContent ?? '' };
  } finally {
    dom.window.close();
  }
}

/** Seconds for one pass of `fn` over all cases. */
function timePass(cases: Case[], fn: (source: string) => unknown): number {
  const start = performance.now();
  for (const c of cases) fn(c.source);
  return (performance.now() - start) / 1000;
}

/** Seconds for one pass of `fn` over all cases, one page after the other. */
async function timePassAsync(cases: Case[], fn: (source: string) => Promise<unknown>): Promise<number> {
  const start = performance.now();
  for (const c of cases) await fn(c.source);
  return (performance.now() - start) / 1000;
}

/**
 * Pages per second of each extractor: best of `rounds` passes, alternating between them so that
 * machine noise (GC, other processes) hits all alike. The scoring pass before this one has
 * already warmed up ours and Readability; the sandbox gets a warm-up pass of its own. The
 * sandbox has one thread, so its figure is ours plus the cost of the pool per page (pre-scan
 * included in both, copying the page in and the result out, waking the thread).
 */
async function pagesPerSecond(cases: Case[], rounds: number): Promise<{ ours: number; sandboxed: number; readability: number }> {
  const sandbox = new Sandbox({ timeoutMs: 60_000, memoryMb: 1024, threads: 1 });
  const inSandbox = (source: string) => sandbox.extract(source, { url: PAGE_URL, siteRules: [] });
  try {
    await timePassAsync(cases, inSandbox);
    let ours = Infinity;
    let sandboxed = Infinity;
    let readability = Infinity;
    for (let round = 0; round < rounds; round++) {
      ours = Math.min(ours, timePass(cases, (source) => extractArticle(source, { url: PAGE_URL })));
      sandboxed = Math.min(sandboxed, await timePassAsync(cases, inSandbox));
      readability = Math.min(readability, timePass(cases, runReadability));
    }
    return { ours: cases.length / ours, sandboxed: cases.length / sandboxed, readability: cases.length / readability };
  } finally {
    await sandbox.close();
  }
}

function pad(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

async function main(): Promise<number> {
  const dir = resolve(process.argv[2] ?? '../shared/corpora/readability');
  if (!existsSync(dir)) {
    console.error(`corpus folder ${dir} not found; pass it as the first argument`);
    return 2;
  }
  const cases = readCases(dir);
  if (cases.length === 0) {
    console.error(`no page folders (with source.html) in ${dir}`);
    return 2;
  }

  const rows: Row[] = cases.map((c) => {
    const ours = extractArticle(c.source, { url: PAGE_URL });
    const theirs = runReadability(c.source);
    const title = (ours.title ?? '').trim();
    return {
      name: c.name,
      f1: tokenF1(ours.text, c.expectedText),
      titleMatch: title === c.expectedTitle.trim(),
      title,
      expectedTitle: c.expectedTitle,
      readabilityF1: tokenF1(theirs.text, c.expectedText),
    };
  });

  const { ours: ourSpeed, sandboxed: sandboxSpeed, readability: theirSpeed } = await pagesPerSecond(cases, 3);

  console.log(`${pad('page', 44)} ${'F1'.padStart(6)} ${'title'.padStart(6)} ${'R-F1'.padStart(6)}`);
  for (const row of rows) {
    console.log(
      `${pad(row.name, 44)} ${row.f1.toFixed(3).padStart(6)} ${(row.titleMatch ? 'ok' : 'MISS').padStart(6)} ${row.readabilityF1.toFixed(3).padStart(6)}`,
    );
  }
  for (const row of rows.filter((r) => !r.titleMatch)) {
    console.log(`title ${row.name}: got ${JSON.stringify(row.title)}, expected ${JSON.stringify(row.expectedTitle)}`);
  }

  const meanF1 = rows.reduce((sum, r) => sum + r.f1, 0) / rows.length;
  const worst = rows.reduce((min, r) => (r.f1 < min.f1 ? r : min));
  const titleMatch = rows.filter((r) => r.titleMatch).length / rows.length;
  const speedup = ourSpeed / theirSpeed;
  const sandboxSpeedup = sandboxSpeed / theirSpeed;
  const overheadMs = 1000 / sandboxSpeed - 1000 / ourSpeed;
  const readabilityMean = rows.reduce((sum, r) => sum + r.readabilityF1, 0) / rows.length;

  console.log('');
  console.log(`pages                 ${rows.length}`);
  console.log(`mean F1               ${meanF1.toFixed(3)}   (target >= ${TARGETS.meanF1}; Readability itself: ${readabilityMean.toFixed(3)})`);
  console.log(`min F1                ${worst.f1.toFixed(3)}   (${worst.name}; target >= ${TARGETS.minF1})`);
  console.log(`title exact match     ${(titleMatch * 100).toFixed(1)}%  (target >= ${TARGETS.titleMatch * 100}%)`);
  console.log(`pages/s ours          ${ourSpeed.toFixed(1)}   (cheerio parse + extractArticle; best of 3 passes)`);
  console.log(`pages/s Readability   ${theirSpeed.toFixed(1)}   (jsdom parse + Readability.parse; best of 3 passes)`);
  console.log(`pages/s in a sandbox  ${sandboxSpeed.toFixed(1)}   (the same, as the workers run it: in a worker thread; best of 3 passes)`);
  console.log(`sandbox cost          ${overheadMs.toFixed(2)} ms per page`);
  console.log(`speed-up              ${speedup.toFixed(2)}x  (target >= ${TARGETS.speedup}x)`);
  console.log(`speed-up in sandbox   ${sandboxSpeedup.toFixed(2)}x  (target >= ${TARGETS.speedup}x)`);

  const missed: string[] = [];
  if (meanF1 < TARGETS.meanF1) missed.push(`mean F1 ${meanF1.toFixed(3)} < ${TARGETS.meanF1}`);
  if (worst.f1 < TARGETS.minF1) missed.push(`min F1 ${worst.f1.toFixed(3)} (${worst.name}) < ${TARGETS.minF1}`);
  if (titleMatch < TARGETS.titleMatch) missed.push(`title match ${(titleMatch * 100).toFixed(1)}% < ${TARGETS.titleMatch * 100}%`);
  if (speedup < TARGETS.speedup) missed.push(`speed-up ${speedup.toFixed(2)}x < ${TARGETS.speedup}x`);
  if (sandboxSpeedup < TARGETS.speedup) missed.push(`speed-up in a sandbox thread ${sandboxSpeedup.toFixed(2)}x < ${TARGETS.speedup}x`);
  console.log('');
  if (missed.length > 0) {
    for (const m of missed) console.log(`TARGET MISSED: ${m}`);
    return 1;
  }
  console.log('all targets met');
  return 0;
}

// Run only as a script, so tests can import the metric without running the evaluation.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await main();
