// Fuzzing the feed pipeline (issue 13): the fixture feeds (test/fixtures/feeds) as bytes, with
// bytes flipped, cut, elements duplicated, repeated and nested, and encodings declared at random,
// decoded as the fetcher decodes them and parsed and normalised in the sandbox as the poll worker
// does. Either the items come out with every field within FIELD_LIMITS (src/feeds/bounds.ts) or
// the feed fails with a FetchError that names it: not-a-feed, or over-budget from the sandbox.

import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Article } from '../../src/feeds/article.js';
import { FIELD_LIMITS } from '../../src/feeds/bounds.js';
import { decodeBody } from '../../src/feeds/charset.js';
import { FetchError } from '../../src/feeds/fetch.js';
import { Sandbox, type ParsedItems } from '../../src/sandbox/pool.js';
import { fuzzTimeout, runFuzz } from './budget.js';
import { asBytes, mutated } from './mutate.js';

const DIR = new URL('../fixtures/feeds/', import.meta.url);
const FIXTURES = readdirSync(DIR)
  .filter((f) => /\.(xml|rdf|json)$/.test(f))
  .map((f) => readFileSync(new URL(f, DIR)).toString('latin1'));

const ENCODINGS = ['utf-8', 'UTF-16', 'utf-16le', 'utf-32', 'koi8-r', 'windows-1251', 'iso-8859-1', 'shift_jis', 'gb18030', 'iso-2022-jp', 'x-user-defined', 'replacement', 'UTF-7', 'bogus', ''];
const encoding = fc.constantFrom(...ENCODINGS);
const TOKENS = [
  '<item>', '</item>', '<entry>', '</entry>', '<title>', '</title>', '<link>', '<guid>', '<description>', '<content:encoded>', '<![CDATA[', ']]>', '<!--', '-->',
  '&amp;', '&lt;', '&#0;', '&#xD800;', '&nbsp;', '&undefined;', '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>', '&a;', '\u0000', '\uFEFF', '<br>', '<script>', '"', "'", '>', '<',
  '{"items":[', '"title":', '"content_html":', '}', ']', 'xml:base="../"', '<link href="//x"/>', 'https://news.example/a?utm_source=x', 'ünïcödé 日本語',
];
const token = fc.oneof(
  fc.constantFrom(...TOKENS).map(asBytes),
  encoding.map((e) => `<?xml version="1.0" encoding="${e}"?>`),
  encoding.map((e) => `<meta charset="${e}">`),
);
const feedBytes = fc.oneof(fc.constantFrom(...FIXTURES), mutated(fc.constantFrom(...FIXTURES), token, { bytes: true }));
const contentType = fc.option(fc.oneof(encoding.map((e) => `application/rss+xml; charset=${e}`), fc.constantFrom('text/xml', 'application/json', 'text/html;charset="koi8-r"'), fc.string({ maxLength: 30 })), { nil: null });

const SOURCE = 'https://news.example/feed.xml';
const sandbox = new Sandbox({ timeoutMs: 10_000, memoryMb: 256, threads: 1 });
// The first task starts the thread (loads the parsers): not part of the timed run.
beforeAll(() => sandbox.parseFeed(decodeBody(Buffer.from(FIXTURES[0]!, 'latin1')), SOURCE, { id: 'fuzz', url: SOURCE }).then(() => undefined), 60_000);
afterAll(() => sandbox.close());

function expectBounded(a: Article): void {
  const within = (v: string | undefined, max: number, what: string) => expect(v === undefined || (typeof v === 'string' && v.length <= max), `${what}: ${v?.length} chars`).toBe(true);
  expect(typeof a.id === 'string' && a.id.length > 0 && a.id.length <= FIELD_LIMITS.id).toBe(true);
  expect(a.feed).toBe('fuzz');
  within(a.url, FIELD_LIMITS.url, 'url');
  within(a.title, FIELD_LIMITS.title, 'title');
  within(a.summary, FIELD_LIMITS.summary, 'summary');
  within(a.content, FIELD_LIMITS.content, 'content');
  within(a.contentHtml, FIELD_LIMITS.contentHtml, 'contentHtml');
  within(a.author, FIELD_LIMITS.author, 'author');
  expect((a.categories ?? []).length).toBeLessThanOrEqual(FIELD_LIMITS.categories);
  for (const c of a.categories ?? []) within(c, FIELD_LIMITS.category, 'category');
  if (a.published !== undefined) expect(Number.isNaN(Date.parse(a.published))).toBe(false);
}

describe('feed parser and normaliser (fuzz)', () => {
  it(
    'gives items with bounded fields or a FetchError naming the feed, for mutated fixture feeds',
    async () => {
      await runFuzz(
        'feeds',
        fc.asyncProperty(feedBytes, contentType, async (bytes, type) => {
          const text = decodeBody(Buffer.from(bytes, 'latin1'), type);
          let parsed: ParsedItems;
          try {
            parsed = await sandbox.parseFeed(text, SOURCE, { id: 'fuzz', url: SOURCE });
          } catch (err) {
            expect(err, String(err)).toBeInstanceOf(FetchError);
            expect(['not-a-feed', 'over-budget']).toContain((err as FetchError).errorClass);
            expect((err as FetchError).message).toContain(SOURCE);
            return;
          }
          expect(Number.isInteger(parsed.repeatedIds) && parsed.repeatedIds >= 0).toBe(true);
          for (const item of parsed.items) expectBounded(item);
        }),
      );
    },
    fuzzTimeout(),
  );
});
