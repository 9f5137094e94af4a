// Fuzzing the article extractor (issue 13): the fixture pages (test/fixtures/extract) mutated,
// and generated trees far deeper or wider than real pages, extracted in the sandbox as the
// article worker does. Each comes back as a result or as the sandbox's documented over-budget
// FetchError; a tree of plain nesting, however deep, is a result — the nesting pre-scan flattens
// it before parsing (src/extract/nesting.ts), so it never reaches the budget.

import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Extracted } from '../../src/extract/index.js';
import { FetchError } from '../../src/feeds/fetch.js';
import { Sandbox } from '../../src/sandbox/pool.js';
import { fuzzTimeout, runFuzz } from './budget.js';
import { mutated } from './mutate.js';

const DIR = new URL('../fixtures/extract/', import.meta.url);
const FIXTURES = readdirSync(DIR).map((f) => readFileSync(new URL(f, DIR), 'utf8'));
const URL_ = 'https://news.example/2024/article';

const sandbox = new Sandbox({ timeoutMs: 10_000, memoryMb: 256, threads: 1 });
// The first task starts the thread (loads the parsers): not part of the timed run.
beforeAll(() => sandbox.extract(FIXTURES[0]!, { url: URL_, siteRules: [] }).then(() => undefined), 60_000);
afterAll(() => sandbox.close());

const TAGS = ['div', 'p', 'span', 'li', 'ul', 'table', 'tr', 'td', 'a', 'b', 'i', 'section', 'article', 'font', 'select', 'option', 'template', 'svg', 'math', 'noscript', 'pre', 'blockquote', 'h2', 'dl', 'dd', 'form', 'button', 'nobr'];
const TOKENS = ['<div>', '</div>', '<p>', '<table>', '<td>', '<script>', '</script>', '<style>', '<!--', '-->', '<![CDATA[', '<base href="//evil/">', '<img src="x">', '<a href="javascript:x">', '<template>', '<svg><foreignObject>', '<math><mi>', '<textarea>', '<plaintext>', '"', "'", '<', '>', '&', '&#0;', '\u0000', '<meta charset="koi8-r">', '<html>', '<body>', '</body></html>', 'ünïcödé 日本語'];
const token = fc.oneof(fc.constantFrom(...TOKENS), fc.constantFrom(...TAGS).map((t) => `<${t} class="content article" id="main">`));
const words = fc.array(fc.constantFrom('The', 'talks', 'resumed', 'in', 'Istanbul,', 'officials', 'said.', 'Ceasefire', '—', 'x'), { maxLength: 40 }).map((w) => w.join(' '));

/** Tags opened `depth` deep (closed or not), around some text: what the pre-scan must flatten. */
const deep = fc.tuple(fc.array(fc.constantFrom(...TAGS), { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 3_000 }), fc.boolean(), words).map(([tags, depth, close, text]) => {
  const at = (i: number) => tags[i % tags.length]!;
  let open = '';
  let end = '';
  for (let i = 0; i < depth; i++) open += `<${at(i)}>`;
  if (close) for (let i = depth - 1; i >= 0; i--) end += `</${at(i)}>`;
  return { html: `<html><body>${open}${text}${end}</body></html>`, plainDivs: tags.every((t) => t === 'div') && depth > 600 };
});
const wide = fc.tuple(fc.constantFrom(...TAGS), fc.integer({ min: 1, max: 3_000 }), words).map(([t, n, text]) => ({ html: `<html><body><article>${`<${t}>${text}</${t}>`.repeat(n)}</article></body></html>`, plainDivs: false }));
const page = fc.oneof(
  { weight: 3, arbitrary: mutated(fc.constantFrom(...FIXTURES), token, { maxRepeat: 500, maxDepth: 3_000 }).map((html) => ({ html, plainDivs: false })) },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: wide },
);

describe('article extractor (fuzz)', () => {
  it(
    'extracts mutated pages and deep or wide trees, or answers over-budget; deep plain nesting is flattened, not over budget',
    async () => {
      await runFuzz(
        'extract',
        fc.asyncProperty(page, async ({ html, plainDivs }) => {
          let out: Extracted;
          try {
            out = await sandbox.extract(html, { url: URL_, siteRules: [] });
          } catch (err) {
            expect(err, String(err)).toBeInstanceOf(FetchError);
            expect((err as FetchError).errorClass).toBe('over-budget');
            expect((err as FetchError).message).toContain(URL_);
            expect(plainDivs, 'nested <div>s went over the budget: the pre-scan did not bound them').toBe(false);
            return;
          }
          expect(typeof out.text).toBe('string');
          expect(typeof out.html).toBe('string');
          if (plainDivs) expect(out.flattenedTags).toBeGreaterThan(0);
          for (const key of ['title', 'byline', 'published', 'language', 'siteName', 'canonicalUrl', 'leadImage', 'excerpt'] as const) {
            expect(out[key] === undefined || typeof out[key] === 'string', key).toBe(true);
          }
        }),
      );
    },
    fuzzTimeout(),
  );
});
