// One parsing thread's CPU time and priority, for the sandbox (pool.ts, tasks.ts). The parsing
// threads run at a lower priority than the main thread, which runs every job, so under load the
// queues, matching and deliveries get a core first; a thread at a lower priority may then wait
// for a core, so its time budget counts the CPU it used, not the time it waited. Linux only
// (/proc and per-thread priorities); elsewhere the ids and times are undefined, the threads keep
// the process's priority and the budget is wall-clock time.

import { readFileSync, readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** A task may wait this many times its budget in wall-clock time before it is stopped all the same. */
export const WALL_FACTOR = 4;

/** The budget is looked at again no sooner than this (CPU time is counted in 10 ms ticks). */
const MIN_RECHECK_MS = 20;

/** This thread's Linux thread id; undefined where /proc has none. */
export function currentThreadId(): number | undefined {
  try {
    const id = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(id) && id > 0 ? id : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system, ms) a thread of this process has used; undefined when it cannot be read (ended, not Linux). */
export function threadCpuMs(threadId: number | undefined): number | undefined {
  if (threadId === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/self/task/${threadId}/stat`, 'latin1');
    // After the command name in parentheses: state is field 3 of proc(5), utime and stime 14 and
    // 15, in clock ticks of 10 ms (USER_HZ is 100 on Linux whatever the kernel's own tick).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Lowers a thread's priority by `nice` steps from where it is (Unix nice values, at most 19),
 * which any process may do; false when it could not (not Linux, or the call failed).
 */
export function lowerPriority(threadId: number | undefined, nice: number): boolean {
  if (threadId === undefined || nice <= 0) return false;
  try {
    setPriority(threadId, Math.min(19, getPriority(threadId) + nice));
    return true;
  } catch {
    return false;
  }
}

export type BudgetCheck = { stop: true } | { stop: false; recheckMs: number };

/**
 * When a task's budget timer fires: stop the task once it has used its budget in CPU time, or has
 * run WALL_FACTOR times its budget in wall-clock time, or when its CPU time cannot be read;
 * otherwise look again when the rest of the budget could at the earliest be used up.
 */
export function budgetCheck(usedCpuMs: number | undefined, wallMs: number, budgetMs: number): BudgetCheck {
  const wallLimitMs = budgetMs * WALL_FACTOR;
  if (usedCpuMs === undefined || usedCpuMs >= budgetMs || wallMs >= wallLimitMs) return { stop: true };
  return { stop: false, recheckMs: Math.max(MIN_RECHECK_MS, Math.min(budgetMs - usedCpuMs, wallLimitMs - wallMs)) };
}
