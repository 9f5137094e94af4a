// `newswatch match --rules FILE [--explain]`: articles as JSON Lines on stdin, one JSON line per
// (article, rule) match on stdout, in input order. A bad input line is reported on stderr with
// its number and skipped; the exit code is then 1.

import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { loadRulesFile } from '../config/load.js';
import { RuleIndex, type MatchInput } from '../match/index.js';

export async function matchCommand(
  rulesFile: string,
  explain: boolean,
  io: { stdin: Readable; stdout: Writable; stderr: Writable },
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const rules = await loadRulesFile(rulesFile, env);
  const index = RuleIndex.build(rules);
  const names = new Map(rules.map((r) => [r.id, r.name ?? r.id]));
  let lineNo = 0;
  let bad = 0;
  for await (const line of createInterface({ input: io.stdin, crlfDelay: Infinity })) {
    lineNo++;
    if (!line.trim()) continue;
    let article: MatchInput;
    try {
      article = parseArticle(line);
    } catch (err) {
      bad++;
      io.stderr.write(`stdin line ${lineNo}: ${(err as Error).message}; line skipped\n`);
      continue;
    }
    for (const m of index.match(article)) {
      const out = explain ? { article: article.id, rule: m.rule, name: names.get(m.rule), hits: m.hits } : { article: article.id, rule: m.rule };
      // Waiting for a slow reader keeps memory flat on large inputs.
      if (!io.stdout.write(`${JSON.stringify(out)}\n`)) await once(io.stdout, 'drain');
    }
  }
  return bad > 0 ? 1 : 0;
}

const TEXT_FIELDS = ['title', 'summary', 'content', 'url', 'feed', 'language', 'published'] as const;

function parseArticle(line: string): MatchInput {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error('not valid JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('expected a JSON object');
  const obj = value as Record<string, unknown>;
  if (typeof obj.id !== 'string' && typeof obj.id !== 'number') throw new Error('"id" (string) is required');
  const article: MatchInput = { id: String(obj.id) };
  for (const field of TEXT_FIELDS) {
    const v = obj[field];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') throw new Error(`"${field}" must be a string`);
    article[field] = v;
  }
  return article;
}
