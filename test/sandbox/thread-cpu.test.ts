// Specification of a parsing thread's priority and CPU time (src/sandbox/thread-cpu.ts): the
// threads run below the worker's priority, and their time budget counts the CPU they used, so
// a task that waits for a core is not stopped for waiting, up to WALL_FACTOR times its budget.

import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { Sandbox } from '../../src/sandbox/pool.js';
import { budgetCheck, currentThreadId, threadCpuMs, WALL_FACTOR } from '../../src/sandbox/thread-cpu.js';

const onLinux = process.platform === 'linux';

/** Nice value of each thread of this process (proc(5) stat field 19). */
function threadNices(): number[] {
  return readdirSync('/proc/self/task').map((id) => {
    const stat = readFileSync(`/proc/self/task/${id}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

describe('budgetCheck', () => {
  it('stops a task once it has used its budget in CPU time', () => {
    expect(budgetCheck(1_000, 1_000, 1_000)).toEqual({ stop: true });
    expect(budgetCheck(1_010, 1_500, 1_000)).toEqual({ stop: true });
  });

  it('lets a task that waited for a core run on, and looks again when the rest of the budget could be used up', () => {
    expect(budgetCheck(300, 1_000, 1_000)).toEqual({ stop: false, recheckMs: 700 });
    // Near the end of the budget, never sooner than 20 ms.
    expect(budgetCheck(995, 1_000, 1_000)).toEqual({ stop: false, recheckMs: 20 });
  });

  it('stops a task after WALL_FACTOR times its budget in wall-clock time, however little CPU it used', () => {
    expect(budgetCheck(10, WALL_FACTOR * 1_000, 1_000)).toEqual({ stop: true });
    // The next look is no later than that limit.
    expect(budgetCheck(10, WALL_FACTOR * 1_000 - 100, 1_000)).toEqual({ stop: false, recheckMs: 100 });
  });

  it('falls back to wall-clock time where the CPU time cannot be read', () => {
    expect(budgetCheck(undefined, 1_000, 1_000)).toEqual({ stop: true });
  });
});

describe.runIf(onLinux)('thread CPU time and priority (Linux)', () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });

  it('reads the CPU time of a thread, which grows with work and not with waiting', async () => {
    const id = currentThreadId();
    expect(id).toBeGreaterThan(0);
    // Work until 100 ms of CPU time show (on a loaded machine that takes longer than 100 ms).
    const before = threadCpuMs(id)!;
    const deadline = performance.now() + 10_000;
    let spin = 0;
    while (threadCpuMs(id)! - before < 100 && performance.now() < deadline) for (let i = 0; i < 100_000; i++) spin += i;
    expect(spin).toBeGreaterThan(0);
    expect(threadCpuMs(id)! - before).toBeGreaterThanOrEqual(100);
    const beforeWait = threadCpuMs(id)!;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(threadCpuMs(id)! - beforeWait).toBeLessThan(60);
    expect(threadCpuMs(999_999_999)).toBeUndefined();
  });

  it('runs the parsing threads the given nice steps below the process, and the process where it was', async () => {
    const base = getPriority();
    expect(threadNices().filter((n) => n === base + 7)).toHaveLength(0);
    sandbox = new Sandbox({ timeoutMs: 20_000, memoryMb: 256, threads: 1, nice: 7 });
    await sandbox.parseFeed('<rss version="2.0"><channel><title>T</title></channel></rss>', 'f.xml', { id: 'f', url: 'http://localhost/' });
    expect(threadNices().filter((n) => n === base + 7)).toHaveLength(1);
    expect(getPriority()).toBe(base);
  });
});
