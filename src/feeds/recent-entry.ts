// The entry a recent article is kept as (recent-articles.ts): its key in the hash and its JSON,
// made by one pure function wherever they are made. Rules:
// - A sandbox thread may make the entries of a batch's articles, the new ones of a poll
//   (prepareRecentEntries, in the task that finds their words: sandbox/tasks.ts), as UTF-8 in
//   one ArrayBuffer that goes to the main thread transferred, not copied; the main thread then
//   hands Redis bytes instead of hashing, stringifying and encoding them itself (a tenth of its
//   time without page fetch).
// - The articles get their entry (attachRecentEntries) with the matcher's input it was made
//   from, as the main thread sees them. The entry is used only while the article gives
//   the very same input, feed tags included (preparedRecentEntry); an article enriched by its
//   page, changed since or kept under other tags, or one the task did not see (processOne's, a
//   failed task's), gets its entry made on the main thread, the same way.

import { createHash } from 'node:crypto';
import type { MatchInput } from '../match/index.js';
import { matchInputOf, type Article } from './article.js';
import { boundText } from './bounds.js';

/** Content kept per recent article; a preview matches on this much of the text. */
export const RECENT_CONTENT_CHARS = 10_000;

/** An article's field in the recent-articles hash: feed and id hashed, so any id fits. */
export function recentKey(article: Article): string {
  return createHash('sha256').update(`${article.feed}\u0000${article.id}`).digest('base64url').slice(0, 22);
}

/**
 * What is kept of an article: the matcher's input with the content cut to RECENT_CONTENT_CHARS.
 * When it was kept is its score in the order set, so the text can be made before that is known.
 */
export function recentJson(article: Article, feedTags?: string[]): string {
  return JSON.stringify(matchInputOf({ ...article, content: boundText(article.content, RECENT_CONTENT_CHARS) }, feedTags));
}

/**
 * The entries of a batch's articles, in their order: a header of two Uint32 lengths per item (key,
 * JSON), then each item's key and JSON as UTF-8. One buffer, so it is transferred as one.
 */
export interface PreparedRecentEntries {
  buffer: ArrayBuffer;
  /** The feed tags the JSON holds. */
  feedTags?: string[];
}

/** The entries of `items` (in a sandbox thread). */
export function prepareRecentEntries(items: Article[], feedTags?: string[]): PreparedRecentEntries {
  const texts = items.flatMap((item) => [recentKey(item), recentJson(item, feedTags)]);
  const header = texts.length * 4;
  let size = header;
  for (const text of texts) size += Buffer.byteLength(text);
  const buffer = new ArrayBuffer(size);
  const lengths = new Uint32Array(buffer, 0, texts.length);
  const bytes = Buffer.from(buffer);
  let at = header;
  texts.forEach((text, i) => {
    lengths[i] = bytes.write(text, at);
    at += lengths[i]!;
  });
  return { buffer, ...(feedTags ? { feedTags } : {}) };
}

/** A prepared entry as an item carries it: where its bytes are, and the input they were made from. */
interface Attached {
  input: MatchInput;
  buffer: ArrayBuffer;
  at: number;
  keyLength: number;
  jsonLength: number;
}

// Enumerable, so the copies withoutHtml makes keep it; JSON (a queued job) leaves it out.
const ENTRY = Symbol('recentEntry');
type Carrier = Article & { [ENTRY]?: Attached };

/**
 * Gives `items` (the articles the entries were prepared from, in their order) their entry, on the
 * main thread; no bytes are copied.
 */
export function attachRecentEntries(items: Article[], entries: PreparedRecentEntries): void {
  const lengths = new Uint32Array(entries.buffer, 0, items.length * 2);
  let at = lengths.byteLength;
  items.forEach((item, i) => {
    const keyLength = lengths[2 * i]!;
    const jsonLength = lengths[2 * i + 1]!;
    (item as Carrier)[ENTRY] = { input: matchInputOf(item, entries.feedTags), buffer: entries.buffer, at, keyLength, jsonLength };
    at += keyLength + jsonLength;
  });
}

/**
 * The article's key and JSON as bytes, when it carries an entry made from exactly what it gives
 * the matcher now under `feedTags`; undefined otherwise (make them with recentKey, recentJson).
 */
export function preparedRecentEntry(article: Article, feedTags?: string[]): { key: Buffer; json: Buffer } | undefined {
  const entry = (article as Carrier)[ENTRY];
  if (!entry || !sameInput(entry.input, matchInputOf(article, feedTags))) return undefined;
  const { buffer, at, keyLength, jsonLength } = entry;
  return { key: Buffer.from(buffer, at, keyLength), json: Buffer.from(buffer, at + keyLength, jsonLength) };
}

/** The same values field by field (strings compared as such; the tags element by element). */
function sameInput(a: MatchInput, b: MatchInput): boolean {
  const fields = Object.keys(a) as (keyof MatchInput)[];
  if (fields.length !== Object.keys(b).length) return false;
  for (const field of fields) {
    if (field === 'feedTags') {
      if (!sameList(a.feedTags, b.feedTags)) return false;
    } else if (a[field] !== b[field]) return false;
  }
  return true;
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === b) return true;
  return a !== undefined && b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}
