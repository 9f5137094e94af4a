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
import type { WordSeed } from '../match/word-seed.js';
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
}

/**
 * A batch's articles (the new ones of a poll), for what the main thread then only looks up:
 * their word seeds (word-seed.ts) when `seeds`, their recent-article entries under `recent`'s
 * feed tags when given (recent-entry.ts). Only what those read of an article is sent.
 */
export interface PrepareTask {
  kind: 'prepare';
  id: number;
  articles: PrepareSource[];
  seeds: boolean;
  recent?: { feedTags?: string[] };
}

/**
 * What seeds and entries read of an article (matchInputOf's fields): its texts, or where a feed
 * task left them (shared-texts.ts) and which of them the article has not (bits 1 title, 2
 * summary, 4 content: shared, they read as "").
 */
export type PrepareSource = Pick<Article, 'id' | 'feed' | 'url' | 'language' | 'published'> &
  (Pick<Article, 'title' | 'summary' | 'content'> | { shared: SharedTextsRef; absent: number });

export type Task = ExtractTask | FeedTask | PrepareTask;

export interface ParsedItems {
  title?: string;
  link?: string;
  language?: string;
  items: Article[];
  /** Items dropped because an earlier item had the same id (see normaliseFeedItems). */
  repeatedIds: number;
  /** The items' texts, for a later prepare task (shared-texts.ts). */
  texts?: SharedArrayBuffer;
}

/** Per article of a PrepareTask, in order: its seed, or null where none could be made. */
export type WordSeeds = (WordSeed | null)[];

/** What a PrepareTask made: seeds ([] when not asked) and entries (when asked; attachRecentEntries). */
export interface PreparedBatch {
  seeds: WordSeeds;
  recent?: PreparedRecentEntries;
}

export type TaskOutput<T extends Task> = T extends ExtractTask ? Extracted : T extends FeedTask ? ParsedItems : PreparedBatch;

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

type Output = Extracted | ParsedItems | PreparedBatch;

async function perform(task: Task): Promise<Output> {
  if (task.kind === 'prepare') return prepareBatch(task);
  if (task.kind === 'extract') {
    return extractArticle(decoded(task.html, task.contentType), task.options);
  }
  const parsed = await parseFeed(decodedPieces(task.text, task.contentType), task.source);
  const items: ParsedItems = { ...feedInfo(parsed, task.feed.url), ...normaliseFeedItems(parsed, task.feed, new Date(), task.options) };
  items.texts = shareTexts(items.items);
  return items;
}

function prepareBatch(task: PrepareTask): PreparedBatch {
  const articles = task.articles.map(withTexts);
  const seeds = task.seeds ? wordSeedsOf(articles).map((seed) => seed ?? null) : [];
  return task.recent ? { seeds, recent: prepareRecentEntries(articles, task.recent.feedTags) } : { seeds };
}

/** The article with its texts, read from the shared buffer when it was sent there. */
function withTexts(source: PrepareSource): Article {
  if (!('shared' in source)) return source;
  const { shared, absent, ...rest } = source;
  const [title, summary, content] = readSharedTexts(shared);
  return { ...rest, title: absent & 1 ? undefined : title, summary: absent & 2 ? undefined : summary, content: absent & 4 ? undefined : content };
}

/** The result, with the buffers of entries and tokens transferred (piscina's move), not copied. */
function handedOver(result: TaskResult<Output>): TaskResult<Output> {
  if (!result.ok || !('seeds' in result.value)) return result;
  const { seeds, recent } = result.value;
  const buffers = new Set<ArrayBuffer>();
  if (recent) buffers.add(recent.buffer);
  for (const seed of seeds) if (seed?.tokens) buffers.add(seed.tokens.buffer);
  if (buffers.size === 0) return result;
  return move({ [transferableSymbol]: [...buffers], [valueSymbol]: result }) as unknown as TaskResult<PreparedBatch>;
}

export default async function run(task: Task): Promise<TaskResult<Output>> {
  parentPort?.postMessage({ sandboxTaskStarted: task.id } satisfies StartedMessage);
  try {
    return handedOver({ ok: true, value: await perform(task) });
  } catch (err) {
    if (err instanceof FetchError) return { ok: false, errorClass: err.errorClass, message: err.message, status: err.status };
    return { ok: false, message: (err as Error).message ?? String(err) };
  }
}
