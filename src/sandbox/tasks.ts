// The work that runs inside a sandbox thread (see pool.ts): parsing text that strangers wrote.
// Rules: each task says when it starts (the pool's clock for the time budget starts then, not
// while the task waits in the queue), and every failure comes back as data — a FetchError's class
// and message — because an Error loses its class and fields on the way between threads.

import { parentPort } from 'node:worker_threads';
import { extractArticle, type ExtractOptions, type Extracted } from '../extract/index.js';
import type { Article } from '../feeds/article.js';
import { decodeBody } from '../feeds/charset.js';
import { FetchError, type FetchErrorClass } from '../feeds/fetch.js';
import { feedInfo, normaliseFeedItems, type FeedRef, type NormaliseOptions } from '../feeds/normalise.js';
import { parseFeed } from '../feeds/parse.js';

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
  text: string;
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
  /** Items dropped because an earlier item had the same id (see normaliseFeedItems). */
  repeatedIds: number;
}

export type TaskOutput<T extends Task> = T extends ExtractTask ? Extracted : ParsedItems;

export type TaskResult<T> = { ok: true; value: T } | { ok: false; errorClass?: FetchErrorClass; message: string; status?: number };

/** The message a task posts to the pool when it starts running. */
export interface StartedMessage {
  sandboxTaskStarted: number;
}

async function perform(task: Task): Promise<Extracted | ParsedItems> {
  if (task.kind === 'extract') {
    const html = typeof task.html === 'string' ? task.html : decodeBody(Buffer.from(task.html.buffer, task.html.byteOffset, task.html.byteLength), task.contentType);
    return extractArticle(html, task.options);
  }
  const parsed = await parseFeed(task.text, task.source);
  return { ...feedInfo(parsed, task.feed.url), ...normaliseFeedItems(parsed, task.feed, new Date(), task.options) };
}

export default async function run(task: Task): Promise<TaskResult<Extracted | ParsedItems>> {
  parentPort?.postMessage({ sandboxTaskStarted: task.id } satisfies StartedMessage);
  try {
    return { ok: true, value: await perform(task) };
  } catch (err) {
    if (err instanceof FetchError) return { ok: false, errorClass: err.errorClass, message: err.message, status: err.status };
    return { ok: false, message: (err as Error).message ?? String(err) };
  }
}
