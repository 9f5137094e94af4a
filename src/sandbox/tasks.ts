// The work that runs inside a sandbox thread (see pool.ts): parsing text that strangers wrote.
// Rules: each task says when it starts (the pool's clock for the time budget starts then, not
// while the task waits in the queue), and every failure comes back as data — a FetchError's class
// and message — because an Error loses its class and fields on the way between threads.

import { isMainThread, parentPort } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { extractArticle, type ExtractOptions, type Extracted } from '../extract/index.js';
import type { Article } from '../feeds/article.js';
import { decodeBody, decodePieces } from '../feeds/charset.js';
import { FetchError, type FetchErrorClass } from '../feeds/fetch.js';
import { feedInfo, normaliseFeedItems, type FeedRef, type NormaliseOptions } from '../feeds/normalise.js';
import { parseFeed } from '../feeds/parse.js';
import { prepareRecentEntries, type PreparedRecentEntries } from '../feeds/recent-entry.js';
import { limitWordCaches, wordSeedsOf } from '../match/prepare.js';
import type { SeedSource, WordSeed } from '../match/word-seed.js';
import { readSharedTexts, shareTexts, type SharedTextsRef } from './shared-texts.js';

/**
 * Words cached per language in a thread (forms and stems): about 10 MB at most, a small part of
 * the smallest heap a thread may be given (parsing.memory ≥ 32 MB; seeds need ≥ 128 MB, pool.ts).
 */
const THREAD_WORD_CACHE = 50_000;
if (!isMainThread) limitWordCaches(THREAD_WORD_CACHE);

export interface ExtractTask {
  kind: 'extract';
  id: number;
  /** The page as text, or as the bytes fetched (decoded here by `contentType` and the sniffing rules of charset.ts). */
  html: string | Uint8Array;
  contentType?: string | null;
  options: ExtractOptions;
}

export interface FeedTask {
  kind: 'feed';
  id: number;
  /** The feed as text, or as the bytes fetched (decoded here by `contentType`, as decodeBody does). */
  text: string | Uint8Array;
  contentType?: string | null;
  /** Names the feed in errors: its URL or file. */
  source: string;
  feed: FeedRef;
  options?: NormaliseOptions;
  /** Make the items' recent-article entries too, with these feed tags (recent-entry.ts). */
  recent?: { feedTags?: string[] };
}

/** Articles whose word seeds the main thread wants (word-seed.ts): only what tokenising reads. */
export interface WordsTask {
  kind: 'words';
  id: number;
  /** Each with its texts, or with where a feed task left them (shared-texts.ts). */
  articles: (SeedSource | { shared: SharedTextsRef; language?: string })[];
}

export type Task = ExtractTask | FeedTask | WordsTask;

export interface ParsedItems {
  title?: string;
  link?: string;
  language?: string;
  items: Article[];
  /** Items dropped because an earlier item had the same id (see normaliseFeedItems). */
  repeatedIds: number;
  /** The items' recent-article entries, when the task asked for them (attachRecentEntries). */
  recent?: PreparedRecentEntries;
  /** The items' texts, for a later words task (shared-texts.ts). */
  texts?: SharedArrayBuffer;
}

/** Per article of a WordsTask, in order: its seed, or null where none could be made. */
export type WordSeeds = (WordSeed | null)[];

export type TaskOutput<T extends Task> = T extends ExtractTask ? Extracted : T extends FeedTask ? ParsedItems : WordSeeds;

export type TaskResult<T> = { ok: true; value: T } | { ok: false; errorClass?: FetchErrorClass; message: string; status?: number };

/** The message a task posts to the pool when it starts running. */
export interface StartedMessage {
  sandboxTaskStarted: number;
}

/** The transferred bytes as a Buffer, without copying them. */
const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Text as given, or bytes decoded by their content type and the sniffing rules of charset.ts. */
const decoded = (body: string | Uint8Array, contentType: string | null | undefined): string =>
  typeof body === 'string' ? body : decodeBody(asBuffer(body), contentType);

/** A feed as given, or its bytes decoded in pieces (no large string: see decodePieces). */
const decodedPieces = (body: string | Uint8Array, contentType: string | null | undefined): string | string[] =>
  typeof body === 'string' ? body : decodePieces(asBuffer(body), contentType);

async function perform(task: Task): Promise<Extracted | ParsedItems | WordSeeds> {
  if (task.kind === 'words') {
    const sources = task.articles.map((a) => {
      if (!('shared' in a)) return a;
      const [title, summary, content] = readSharedTexts(a.shared);
      return { title, summary, content, language: a.language };
    });
    return wordSeedsOf(sources).map((seed) => seed ?? null);
  }
  if (task.kind === 'extract') {
    return extractArticle(decoded(task.html, task.contentType), task.options);
  }
  const parsed = await parseFeed(decodedPieces(task.text, task.contentType), task.source);
  const items: ParsedItems = { ...feedInfo(parsed, task.feed.url), ...normaliseFeedItems(parsed, task.feed, new Date(), task.options) };
  if (task.recent) items.recent = prepareRecentEntries(items.items, task.recent.feedTags);
  items.texts = shareTexts(items.items);
  return items;
}

/** The result, with the buffer of recent-article entries transferred (piscina's move), not copied. */
function handedOver(result: TaskResult<Extracted | ParsedItems | WordSeeds>): TaskResult<Extracted | ParsedItems | WordSeeds> {
  const recent = result.ok && 'recent' in result.value ? result.value.recent : undefined;
  if (!recent) return result;
  return move({ [transferableSymbol]: [recent.buffer], [valueSymbol]: result }) as unknown as TaskResult<ParsedItems>;
}

export default async function run(task: Task): Promise<TaskResult<Extracted | ParsedItems | WordSeeds>> {
  parentPort?.postMessage({ sandboxTaskStarted: task.id } satisfies StartedMessage);
  try {
    return handedOver({ ok: true, value: await perform(task) });
  } catch (err) {
    if (err instanceof FetchError) return { ok: false, errorClass: err.errorClass, message: err.message, status: err.status };
    return { ok: false, message: (err as Error).message ?? String(err) };
  }
}
