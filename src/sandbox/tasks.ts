// The work that runs inside a sandbox thread (see pool.ts): parsing text that strangers wrote.
// Rules: each task says when it starts (the pool's clock for the time budget starts then, not
// while the task waits in the queue), and every failure comes back as data — a FetchError's class
// and message — because an Error loses its class and fields on the way between threads. A thread
// lowers its own priority when it starts (`nice` in the pool's workerData; see thread-cpu.ts).

import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import type { extractArticle, ExtractOptions, Extracted } from '../extract/index.js';
import type { Article } from '../feeds/article.js';
import { decodeBody, decodePieces } from '../feeds/charset.js';
import { FetchError, type FetchErrorClass } from '../feeds/fetch-error.js';
import { loadDom, withDom } from '../feeds/html-dom.js';
import { feedInfo, normaliseFeedItems, type FeedRef, type NormaliseOptions } from '../feeds/normalise.js';
import { parseFeed } from '../feeds/parse.js';
import { currentThreadId, lowerPriority, threadCpuMs } from './thread-cpu.js';

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

export type Task = ExtractTask | FeedTask;

export interface ParsedItems {
  title?: string;
  link?: string;
  language?: string;
  items: Article[];
  /** Ids of items not read because the task's `options.known` holds them (see normaliseFeedItems). */
  knownIds: string[];
  /** Items dropped because an earlier item had the same id (see normaliseFeedItems). */
  repeatedIds: number;
}

export type TaskOutput<T extends Task> = T extends ExtractTask ? Extracted : ParsedItems;

export type TaskResult<T> = { ok: true; value: T } | { ok: false; errorClass?: FetchErrorClass; message: string; status?: number };

/** The message a task posts to the pool when it starts running. */
export interface StartedMessage {
  sandboxTaskStarted: number;
  /**
   * The task is loading a module it needs first (cheerio, the extraction code): the budget stops
   * until the next message starts it again (pool.ts gives the loading a bound of its own).
   */
  loading?: boolean;
  /** The thread's Linux id and its CPU time (ms) so far, for a budget in CPU time; absent elsewhere. */
  threadId?: number;
  cpuMs?: number;
}

/** What the pool gives each thread (piscina's workerData). */
export interface ThreadData {
  /** Steps below the process's priority the thread runs at. */
  nice: number;
}

const threadId = currentThreadId();
lowerPriority(threadId, (workerData as ThreadData | undefined)?.nice ?? 0);

/** The transferred bytes as a Buffer, without copying them. */
const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Text as given, or bytes decoded by their content type and the sniffing rules of charset.ts. */
const decoded = (body: string | Uint8Array, contentType: string | null | undefined): string =>
  typeof body === 'string' ? body : decodeBody(asBuffer(body), contentType);

/** A feed as given, or its bytes decoded in pieces (no large string: see decodePieces). */
const decodedPieces = (body: string | Uint8Array, contentType: string | null | undefined): string | string[] =>
  typeof body === 'string' ? body : decodePieces(asBuffer(body), contentType);

type Extraction = { extractArticle: typeof extractArticle };

let extraction: Extraction | undefined;

/**
 * The extraction module (and cheerio), loaded by the first page (see html-dom.ts). Compiled, by
 * import(); from source (vitest), by require(), the only loader tsx's hooks reach in a worker
 * thread (see pool.ts threadOptions).
 */
async function loadExtraction(): Promise<Extraction> {
  await loadDom();
  return (extraction ??= import.meta.url.endsWith('.ts') ? (createRequire(import.meta.url)('../extract/index.ts') as Extraction) : await import('../extract/index.js'));
}

/** Tells the pool that the task starts, which starts its time budget (again after a load). */
const started = (id: number) => parentPort?.postMessage({ sandboxTaskStarted: id, threadId, cpuMs: threadCpuMs(threadId) } satisfies StartedMessage);

/**
 * Loads what the task needs first, with its time budget stopped meanwhile (once per module and
 * thread): loading our own code says nothing about the content.
 */
async function outsideBudget<T>(id: number, load: () => Promise<T>): Promise<T> {
  parentPort?.postMessage({ sandboxTaskStarted: id, loading: true } satisfies StartedMessage);
  const loaded = await load();
  started(id);
  return loaded;
}

async function perform(task: Task): Promise<Extracted | ParsedItems> {
  if (task.kind === 'extract') {
    const module = extraction ?? (await outsideBudget(task.id, loadExtraction));
    return module.extractArticle(decoded(task.html, task.contentType), task.options);
  }
  const known = task.options?.known?.length ? new Set(task.options.known) : undefined;
  const parsed = await parseFeed(decodedPieces(task.text, task.contentType), task.source, { known, identity: task.feed.identity });
  const now = new Date();
  return withDom(
    () => ({ ...feedInfo(parsed, task.feed.url), ...normaliseFeedItems(parsed, task.feed, now, task.options) }),
    () => outsideBudget(task.id, loadDom),
  );
}

export default async function run(task: Task): Promise<TaskResult<Extracted | ParsedItems>> {
  started(task.id);
  try {
    return { ok: true, value: await perform(task) };
  } catch (err) {
    if (err instanceof FetchError) return { ok: false, errorClass: err.errorClass, message: err.message, status: err.status };
    return { ok: false, message: (err as Error).message ?? String(err) };
  }
}
