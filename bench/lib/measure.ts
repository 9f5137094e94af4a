// What the pipeline benchmark and the soak measure with: Newswatch child processes they can
// ask for stats, a throwaway Redis with its INFO figures, the config directory written as YAML,
// queue depths, percentiles and a printed table.

import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { QUEUES } from '../../src/queue/jobs.js';
import { RedisKeys } from '../../src/queue/keys.js';
import type { Command } from './newswatch-process.js';

export interface NewswatchChild {
  pid: number;
  ask<T>(command: Command): Promise<T>;
  close(): Promise<void>;
}

/**
 * Forks bench/lib/newswatch-process.ts with the given environment (config, Redis, SMTP, prefix);
 * `checkout`: of another checkout (a baseline commit), to compare two versions in one run.
 */
export async function forkNewswatch(env: Record<string, string>, stderr?: string, nodeArgs: string[] = [], checkout?: string, built = false): Promise<NewswatchChild> {
  const root = checkout ?? join(import.meta.dirname, '..', '..');
  // Built: the compiled JavaScript of `npm run build`, run by plain node as `npm start` runs.
  const script = built ? join(root, 'dist', 'bench', 'lib', 'newswatch-process.js') : join(root, 'bench', 'lib', 'newswatch-process.ts');
  const child: ChildProcess = fork(script, [], {
    env: { ...process.env, ...env },
    execArgv: built ? nodeArgs : ['--import', 'tsx', ...nodeArgs],
    stdio: ['ignore', 'inherit', stderr ? 'pipe' : 'inherit', 'ipc'],
  });
  if (stderr && child.stderr) {
    const { createWriteStream } = await import('node:fs');
    child.stderr.pipe(createWriteStream(stderr, { flags: 'a' }));
  }
  const waiting: ((msg: unknown) => void)[] = [];
  let ready!: () => void;
  const readyP = new Promise<void>((r) => (ready = r));
  child.on('message', (msg: { ready?: boolean; error?: string }) => {
    if (msg.ready) return ready();
    waiting.shift()?.(msg);
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await Promise.race([readyP, exited.then(() => Promise.reject(new Error('newswatch process exited before it was ready')))]);
  // One question at a time per child, answered in order.
  let chain: Promise<unknown> = Promise.resolve();
  return {
    pid: child.pid!,
    ask<T>(command: Command): Promise<T> {
      const answer = chain.then(
        () =>
          new Promise<T>((resolve, reject) => {
            waiting.push((msg) => ((msg as { error?: string }).error ? reject(new Error((msg as { error: string }).error)) : resolve(msg as T)));
            child.send(command);
          }),
      );
      chain = answer.catch(() => undefined);
      return answer;
    },
    async close() {
      if (child.exitCode === null) {
        child.send({ cmd: 'close' });
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

export interface RedisFigures {
  usedMemory: number;
  /** used_cpu_sys + used_cpu_user of the server, seconds. */
  cpuS: number;
  keys: number;
}

export async function redisFigures(redis: Redis): Promise<RedisFigures> {
  const info = await redis.info();
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return {
    usedMemory: field('used_memory'),
    cpuS: field('used_cpu_sys') + field('used_cpu_user'),
    keys: Number(/^db0:keys=(\d+)/m.exec(info)?.[1] ?? 0),
  };
}

/**
 * Bytes Redis uses per key family of one install (MEMORY USAGE of every key), BullMQ's
 * deduplication keys (`<queue>:de:*`) apart from the rest of the queue keys.
 */
export async function memoryByFamily(redis: Redis, prefix: string): Promise<Record<string, { keys: number; bytes: number }>> {
  const keys = new RedisKeys(prefix);
  const out: Record<string, { keys: number; bytes: number }> = {};
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    const pipe = redis.pipeline();
    for (const k of batch) pipe.memory('USAGE', k);
    const sizes = (await pipe.exec()) ?? [];
    batch.forEach((k, i) => {
      const family = /:de:[^:]+$/.test(k) ? 'queue: job ids (de:)' : (keys.familyOf(k) ?? 'unknown');
      const entry = (out[family] ??= { keys: 0, bytes: 0 });
      entry.keys++;
      entry.bytes += Number(sizes[i]?.[1] ?? 0);
    });
  } while (cursor !== '0');
  return out;
}

/** Queues of one install (prefix), for depths and drain checks from outside the workers. */
export function openQueues(redisUrl: string, prefix: string): Record<string, Queue> {
  return Object.fromEntries(Object.values(QUEUES).map((name) => [name, new Queue(name, { connection: { url: redisUrl }, prefix })]));
}

/** Jobs still to do per queue: waiting, active, prioritized, and delayed ones that are not a scheduler's next run. */
export async function depths(queues: Record<string, Queue>, countDelayed = true): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, q] of Object.entries(queues)) {
    const c = await q.getJobCounts('waiting', 'active', 'prioritized', 'waiting-children', 'delayed');
    out[name] = c.waiting! + c.active! + c.prioritized! + c['waiting-children']! + (countDelayed ? c.delayed! : 0);
  }
  return out;
}

export async function waitDrained(queues: Record<string, Queue>, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const d = await depths(queues);
    if (Object.values(d).every((n) => n === 0)) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return false;
}

export interface BenchConfig {
  feeds: object[];
  rules: object[];
  subscriptions: object[];
  settings?: object;
}

export function writeConfigDir(config: BenchConfig): string {
  const dir = mkdtempSync(join(tmpdir(), 'newswatch-bench-'));
  for (const [name, value] of Object.entries({ feeds: { feeds: config.feeds }, rules: { rules: config.rules }, subscriptions: { subscriptions: config.subscriptions }, ...(config.settings ? { settings: config.settings } : {}) })) {
    writeFileSync(join(dir, `${name}.yaml`), stringify(value));
  }
  return dir;
}

/** Nearest-rank percentiles of ms values. */
export function percentiles(values: number[], ps: number[]): number[] {
  const s = [...values].sort((a, b) => a - b);
  return ps.map((p) => (s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]! : NaN));
}

export const fmt = (x: number | undefined, digits?: number): string =>
  x === undefined || Number.isNaN(x) ? 'n/a' : digits !== undefined ? x.toFixed(digits) : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);

/** A plain-text table: first row is the header. */
export function table(rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map(String));
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r, n) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ') + (n === 0 ? `\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : '')).join('\n');
}
