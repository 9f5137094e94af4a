// The code under fuzzing that runs on a HangGuard thread (test/helpers/hang-guard.ts), so that a
// case that never returns fails its property instead of freezing the test run. Each function
// takes one argument and returns a plain outcome: the errors the code documents are classified
// here (their classes do not survive the trip between threads); any other error is thrown and
// fails the property.

import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { queryProblem } from '../../src/alerts/preview.js';
import { loadConfig } from '../../src/config/load.js';
import { decodeBody, detectCharset, fixC1Controls } from '../../src/feeds/charset.js';
import { compileRule, evaluateRule, formatQueryError, lintQuery, parseQuery, prepareArticle, queryWarnings, QuerySyntaxError, RuleIndex, type MatchInput } from '../../src/match/index.js';

export type QueryOutcome =
  | { kind: 'syntax-error'; message: string; offset: number; length?: number; formatted: string; previewProblem?: string }
  | {
      kind: 'parsed';
      lint: unknown[];
      warnings: unknown[];
      previewProblem?: string;
      /** Per article: the hits of the rule (null when it does not match), and whether the index agrees. */
      results: { hits: { field: string; start: number; end: number; term: string }[] | null; fieldLengths: Record<string, number>; indexAgrees: boolean }[];
    };

/** Starts the thread (HangGuard calls it untimed; piscina loads the module through tsx only with a default export). */
export default function ready(): boolean {
  return true;
}

/** A query as every entry point takes it: parse, lint, the subscribe page's check, compile, match. */
export function queryOutcome({ query, articles }: { query: string; articles: MatchInput[] }): QueryOutcome {
  const preview = queryProblem(query, { maxLength: 100_000, maxTerms: 100_000 });
  try {
    parseQuery(query);
  } catch (err) {
    if (!(err instanceof QuerySyntaxError)) throw err;
    return { kind: 'syntax-error', message: err.message, offset: err.offset, length: err.length, formatted: formatQueryError(query, err), previewProblem: preview?.message };
  }
  const rule = compileRule({ id: 'fuzz', query });
  const index = RuleIndex.build([{ id: 'fuzz', query }]);
  const results = articles.map((a) => {
    const prepared = prepareArticle(a);
    const match = evaluateRule(rule, prepared);
    const indexed = index.match(prepared);
    const fieldLengths = { title: a.title?.length ?? 0, summary: a.summary?.length ?? 0, content: a.content?.length ?? 0, url: a.url?.length ?? 0, site: a.url?.length ?? 0, feed: Math.max(a.feed?.length ?? 0, ...(a.feedTags ?? []).map((t) => t.length)), lang: a.language?.length ?? 0 };
    return { hits: match ? match.hits : null, fieldLengths, indexAgrees: (indexed.length > 0) === (match !== null) };
  });
  return { kind: 'parsed', lint: lintQuery(query), warnings: queryWarnings(parseQuery(query), query), previewProblem: preview?.message, results };
}

/** Bytes as the fetcher hands them over: decoded text and the charset found (never an error). */
export function charsetOutcome({ bytes, contentType }: { bytes: Uint8Array; contentType: string | null }): { text: unknown; fixed: unknown; encoding: unknown; source: unknown } {
  const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = decodeBody(body, contentType);
  const { encoding, source } = detectCharset(body, contentType);
  return { text, fixed: typeof text === 'string' ? fixC1Controls(text) : undefined, encoding, source };
}

/**
 * The config directory `dir` holding just these files, loaded as `validate` and `start` load it,
 * with the process warnings it caused (a library's warning on stderr is not an issue with a line).
 */
export async function configOutcome({ dir, files }: { dir: string; files: Record<string, string> }): Promise<{ loaded: boolean; issues: unknown[]; warnings: string[] }> {
  for (const name of readdirSync(dir)) rmSync(join(dir, name), { force: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  try {
    const { config, issues } = await loadConfig(dir, {});
    // Warnings are emitted on a later tick.
    await new Promise((resolve) => setImmediate(resolve));
    return { loaded: config !== undefined, issues, warnings };
  } finally {
    process.off('warning', onWarning);
  }
}
