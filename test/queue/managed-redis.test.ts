// One managed redis-server per data folder, however many newswatch processes use it: found
// through its port file, kept while anyone uses it, and recovered after a crash.

import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { freePort, openManagedRedis } from '../../src/queue/managed-redis.js';
import { waitFor } from '../helpers/cli.js';

/** Another OS process using the folder's managed Redis until `leave()`. */
function user(dir: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve('test/helpers/managed-redis-user.ts'), dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    child,
    server: async () => {
      await waitFor(() => out.includes('\n'), 60_000, 'the user process to open the managed Redis');
      return JSON.parse(out) as { url: string; pid: number };
    },
    leave: async () => {
      child.stdin.end();
      return exited;
    },
    exited,
  };
}

async function answers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('the managed Redis of a data folder', () => {
  it('is one redis-server for two processes opening it at once, kept until the last one leaves', { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nw-managed-'));
    const other = user(dir);
    const mine = await openManagedRedis(dir);
    try {
      const theirs = await other.server();
      expect(theirs).toEqual({ url: mine.url, pid: mine.pid });
      expect(await other.leave()).toBe(0);
      expect(await answers(mine.url)).toBe(true);
    } finally {
      other.child.kill('SIGKILL');
      await mine.stop();
    }
    expect(await answers(mine.url)).toBe(false);
    expect(alive(mine.pid)).toBe(false);
    expect(await readdir(dir)).not.toContain('server.json');
  });

  it('is still shut down by the last user when another one crashed', { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nw-managed-'));
    const mine = await openManagedRedis(dir);
    const other = user(dir);
    try {
      expect((await other.server()).pid).toBe(mine.pid);
      other.child.kill('SIGKILL');
      await other.exited;
    } finally {
      await mine.stop();
    }
    expect(await answers(mine.url)).toBe(false);
    expect(await readdir(join(dir, 'users'))).toEqual([]);
  });

  it('recovers from a crash that left the lock, the port file and a user behind with their processes dead', { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nw-managed-'));
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((r) => dead.on('exit', r));
    const deadPid = dead.pid as number;
    await mkdir(join(dir, 'users'), { recursive: true });
    await writeFile(join(dir, 'users', String(deadPid)), '');
    await writeFile(join(dir, 'server.json'), JSON.stringify({ pid: deadPid, port: await freePort() }));
    await mkdir(join(dir, 'lock'));
    const minuteAgo = new Date(Date.now() - 60_000);
    await utimes(join(dir, 'lock'), minuteAgo, minuteAgo);

    const managed = await openManagedRedis(dir);
    try {
      expect(managed.pid).not.toBe(deadPid);
      expect(await answers(managed.url)).toBe(true);
    } finally {
      await managed.stop();
    }
    expect(await answers(managed.url)).toBe(false);
  });
});
