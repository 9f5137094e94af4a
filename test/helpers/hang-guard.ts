// Runs the exported functions of one module on a worker thread with a time limit per call, for
// fuzz targets. A synchronous runaway (an exponential loop, a backtracking regex) cannot be
// stopped on the thread it runs on, and vitest's timeout never fires while it runs; so each case
// runs on a piscina thread (as the product's sandbox does, src/sandbox/pool.ts), which is
// terminated and replaced when a call is over time or over memory. Errors cross threads without
// their class: the functions should return plain outcomes and classify the errors they expect
// themselves. The module's default export must be a cheap function: it starts a thread (and without
// a default export piscina's thread does not load the module through tsx).

import { Piscina } from 'piscina';

export class GuardedError extends Error {
  constructor(
    message: string,
    /** 'threw' (the original message and stack in the message), 'hang' or 'memory'. */
    readonly kind: 'threw' | 'hang' | 'memory',
  ) {
    super(message);
    this.name = 'GuardedError';
  }
}

export class HangGuard {
  private readonly pool: Piscina;
  private started = false;

  /** `moduleUrl`: the module whose exports `call` runs, e.g. new URL('./targets.ts', import.meta.url).href. */
  constructor(
    moduleUrl: string,
    private readonly limitMs: number,
    private readonly memoryMb = 512,
  ) {
    this.pool = new Piscina({
      filename: moduleUrl,
      // Vitest compiles TypeScript in its own process only; the thread loads it through tsx.
      execArgv: [...process.execArgv, '--import', 'tsx'],
      minThreads: 1,
      maxThreads: 1,
      resourceLimits: { maxOldGenerationSizeMb: memoryMb },
    });
  }

  /**
   * `fn(arg)` on the thread; rejects with a GuardedError when it throws, hangs or runs out of
   * memory. The clock starts once a thread is up (starting one loads TypeScript and the module).
   */
  async call<R>(fn: string, arg: unknown): Promise<R> {
    await this.start();
    const what = `${fn}(${describe(arg)})`;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.limitMs);
    try {
      return (await this.pool.run(arg, { name: fn, signal: abort.signal })) as R;
    } catch (err) {
      const e = err as Error & { code?: string };
      if (abort.signal.aborted) {
        this.started = false;
        throw new GuardedError(`${what} did not return within ${this.limitMs} ms (a hang: it was stopped)`, 'hang');
      }
      if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        this.started = false;
        throw new GuardedError(`${what} needed more than ${this.memoryMb} MB`, 'memory');
      }
      throw new GuardedError(`${what} threw ${e.stack ?? String(err)}`, 'threw');
    } finally {
      clearTimeout(timer);
    }
  }

  /** Starts a thread unless one runs; call it before a timed fuzz run so that the run is all cases. */
  async start(): Promise<void> {
    if (this.started) return;
    await this.pool.run(undefined);
    this.started = true;
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}

/** The argument for a failure message, long strings shortened (fast-check prints it whole). */
function describe(arg: unknown): string {
  const text = JSON.stringify(arg, (_k, v: unknown) => (typeof v === 'string' && v.length > 200 ? `${v.slice(0, 200)}… (${v.length} chars)` : v)) ?? '';
  return text.length > 600 ? `${text.slice(0, 600)}…` : text;
}
