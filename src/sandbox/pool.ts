// A pool of worker threads (piscina) for CPU-heavy work on text from strangers: article page
// extraction and feed parsing. Rules:
// - Each task runs under a time budget counted from when it starts running (not while it waits
//   for a thread): a task over it is abandoned and its thread terminated and replaced. On Linux
//   the budget is the thread's CPU time, since the threads run at a lower priority than the main
//   thread (`nice`) and may wait for a core on a busy machine; a task is stopped all the same
//   after WALL_FACTOR times its budget in wall-clock time (thread-cpu.ts). A thread loads cheerio
//   and the extraction code for the first task that needs them (src/feeds/html-dom.ts); the
//   task's budget stops while they load (at most a minute) and starts again after: loading our
//   own code says nothing about the content, and happens once per module and thread.
// - Each thread's heap is capped (`resourceLimits`); a task that needs more kills only its
//   thread, which is replaced.
// - Either way the caller gets a FetchError of class "over-budget" naming the page or feed, the
//   budget and the setting to change; the main thread, and so every other job, never waits on it.
// The threads run tasks.ts: from dist/ as compiled JavaScript, from source (tsx, vitest) through
// tsx's loader.

import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { Extracted, SiteRule } from '../extract/index.js';
import { FetchError } from '../feeds/fetch-error.js';
import type { FeedRef, NormaliseOptions } from '../feeds/normalise.js';
import type { ExtractTask, FeedTask, ParsedItems, StartedMessage, Task, TaskResult, ThreadData } from './tasks.js';
import { budgetCheck, threadCpuMs } from './thread-cpu.js';

export type { ParsedItems } from './tasks.js';

export interface SandboxLimits {
  /** Longest one task may run. */
  timeoutMs: number;
  /** Heap (old generation) of each thread, in MB. */
  memoryMb: number;
  /** Threads at most; default: the number of CPU cores. */
  threads?: number;
  /** Threads kept while idle; default 1 (the others end after 30 s without work). */
  minThreads?: number;
  /** Page elements nested deeper are flattened before parsing; default 512. */
  maxDepth?: number;
  /** Steps (Unix nice values) below the process's priority the threads run at, on Linux; default 0. */
  nice?: number;
}

/** How a sandbox thread is started: the compiled task module, or the TypeScript one through tsx. */
function threadOptions(): { filename: string; execArgv?: string[] } {
  const fromSource = fileURLToPath(import.meta.url).endsWith('.ts');
  const filename = new URL(fromSource ? './tasks.ts' : './tasks.js', import.meta.url).href;
  // Under `node --import tsx` threads inherit the loader; under vitest (which compiles in
  // process) they need it given.
  const hasLoader = process.execArgv.some((arg) => arg.includes('tsx'));
  return fromSource && !hasLoader ? { filename, execArgv: [...process.execArgv, '--import', 'tsx'] } : { filename };
}

/**
 * Young generation of each thread, in MB. With V8's default (48 MB: two 16 MB semi-spaces) a
 * parsing thread's heap stood at 53-82 MB for about 23 MB of live objects, 51-52 MB with 16 MB;
 * parsing took no measurably longer (12 MB cost 15 % more CPU). The old generation keeps the
 * `memory` cap, so a task that needs more is stopped as before.
 */
const YOUNG_GENERATION_MB = 16;

/** Longest a task may take to load a module it needs first (cheerio, the extraction code). */
const LOADING_LIMIT_MS = 60_000;

export class Sandbox {
  private pool: Piscina | undefined;
  private nextId = 1;
  /** Starts the clock of a task that has begun running, by task id. */
  private readonly started = new Map<number, (message: StartedMessage) => void>();

  constructor(readonly limits: SandboxLimits) {}

  /**
   * Main text and metadata of an article page (pre-scan, parse, extraction). Given the fetched
   * bytes, the thread decodes them (by `contentType`, as decodeBody does), and the bytes are
   * handed over to it, not copied: the caller's Buffer is empty afterwards.
   */
  extract(page: string | Buffer, options: { url?: string; siteRules: SiteRule[]; contentType?: string | null }): Promise<Extracted> {
    const html = typeof page === 'string' ? page : ownBytes(page);
    const task: ExtractTask = {
      kind: 'extract',
      id: this.nextId++,
      html,
      contentType: options.contentType,
      options: { url: options.url, siteRules: options.siteRules, maxDepth: this.limits.maxDepth },
    };
    return this.run(task, options.url ?? 'the page', typeof html === 'string' ? [] : [html.buffer as ArrayBuffer]);
  }

  /**
   * A feed's items, parsed and normalised; `source` names the feed in errors. Given the fetched
   * bytes, the thread decodes them (by `contentType`, as decodeBody does) and the bytes are handed
   * over, not copied, as for extract: decoding a feed of 100 KB with some non-ASCII text took the
   * main thread 3-5 ms, and copying the decoded text to the thread more.
   */
  parseFeed(body: string | Buffer, source: string, feed: FeedRef, options?: NormaliseOptions, contentType?: string | null): Promise<ParsedItems> {
    const text = typeof body === 'string' ? body : ownBytes(body);
    const task: FeedTask = { kind: 'feed', id: this.nextId++, text, contentType, source, feed, options };
    return this.run(task, source, typeof text === 'string' ? [] : [text.buffer as ArrayBuffer]);
  }

  /** Starts the first thread now (it loads the parsers), so the first page or feed does not wait for it. */
  warmUp(): void {
    this.threads();
  }

  /** Ends every thread; tasks still running fail. */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.destroy();
  }

  private threads(): Piscina {
    if (this.pool) return this.pool;
    const threads = this.limits.threads ?? availableParallelism();
    const pool = new Piscina({
      ...threadOptions(),
      minThreads: Math.min(this.limits.minThreads ?? 1, threads),
      maxThreads: threads,
      idleTimeout: 30_000,
      resourceLimits: { maxOldGenerationSizeMb: this.limits.memoryMb, maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
      workerData: { nice: this.limits.nice ?? 0 } satisfies ThreadData,
    });
    pool.on('message', (message: Partial<StartedMessage>) => {
      if (typeof message?.sandboxTaskStarted === 'number') this.started.get(message.sandboxTaskStarted)?.(message as StartedMessage);
    });
    // A thread that dies between tasks is replaced by piscina; there is no task to fail.
    pool.on('error', () => undefined);
    this.pool = pool;
    return pool;
  }

  private async run<T extends Extracted | ParsedItems>(task: Task, subject: string, transferList: ArrayBuffer[] = []): Promise<T> {
    const what = task.kind === 'extract' ? 'page extraction' : 'feed parsing';
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    // A task that loads a module it needs first (tasks.ts) stops its budget meanwhile, within a
    // bound of its own, and the next message starts the budget again.
    this.started.set(task.id, ({ threadId, cpuMs, loading }) => {
      clearTimeout(timer);
      if (loading) {
        timer = setTimeout(() => abort.abort(), LOADING_LIMIT_MS);
        return;
      }
      const startedAt = Date.now();
      const check = () => {
        const now = threadCpuMs(threadId);
        const next = budgetCheck(now === undefined || cpuMs === undefined ? undefined : now - cpuMs, Date.now() - startedAt, this.limits.timeoutMs);
        if (next.stop) abort.abort();
        else timer = setTimeout(check, next.recheckMs);
      };
      timer = setTimeout(check, this.limits.timeoutMs);
    });
    let result: TaskResult<T>;
    try {
      result = (await this.threads().run(task, { signal: abort.signal, transferList })) as TaskResult<T>;
    } catch (err) {
      if (abort.signal.aborted) {
        throw new FetchError(
          'over-budget',
          `${subject}: ${what} did not finish within ${this.limits.timeoutMs} ms and was stopped; the content is broken or hostile (raise parsing.timeout in settings.yaml only if such content is genuine)`,
        );
      }
      if ((err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
        throw new FetchError(
          'over-budget',
          `${subject}: ${what} needed more than ${this.limits.memoryMb} MB of memory and was stopped; the content is broken or hostile (raise parsing.memory in settings.yaml only if such content is genuine)`,
        );
      }
      throw new Error(`${subject}: ${what} failed in its worker thread: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
      this.started.delete(task.id);
    }
    if (result.ok) return result.value;
    if (result.errorClass) throw new FetchError(result.errorClass, result.message, result.status);
    if (task.kind === 'feed') throw new FetchError('not-a-feed', `${subject}: not a readable feed: ${result.message}`);
    throw new Error(`${subject}: extraction failed: ${result.message}`);
  }
}

/**
 * The bytes in an ArrayBuffer of their own, which can be transferred: a Buffer that is a slice of
 * a larger one (Node's pool for small Buffers) is copied, as transferring would take the rest too.
 */
function ownBytes(buffer: Buffer): Uint8Array {
  const whole = buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength && buffer.buffer instanceof ArrayBuffer;
  return whole ? buffer : new Uint8Array(buffer);
}
