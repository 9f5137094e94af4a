// Starts a private redis-server as a child process: for users without Redis (AOF on, data kept
// in a directory) and for the tests (a throwaway one on a free port). Stopped with stop().

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export interface ManagedRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface ManagedRedisOptions {
  /** Data directory; AOF is on when given, nothing is persisted when not. */
  dir?: string;
  port?: number;
  binary?: string;
  /** More redis-server options, e.g. a cluster node's (tests). */
  args?: string[];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startManagedRedis(options: ManagedRedisOptions = {}): Promise<ManagedRedis> {
  const port = options.port ?? (await freePort());
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', ''];
  if (options.dir) {
    await mkdir(options.dir, { recursive: true });
    args.push('--dir', options.dir, '--appendonly', 'yes', '--appendfsync', 'everysec');
  } else {
    args.push('--appendonly', 'no');
  }
  args.push(...(options.args ?? []));
  const child = spawn(options.binary ?? 'redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));

  const url = `redis://127.0.0.1:${port}`;
  await waitUntilReady(url, child, () => output, () => spawnError);
  return {
    url,
    port,
    stop: () => stopChild(child),
  };
}

async function waitUntilReady(
  url: string,
  child: ChildProcess,
  output: () => string,
  spawnError: () => Error | undefined,
): Promise<void> {
  const deadline = Date.now() + 10_000;
  let exited = false;
  child.once('exit', () => (exited = true));
  while (Date.now() < deadline) {
    const failed = spawnError();
    if (failed) throw failed; // ENOENT when redis-server is not installed
    if (exited) throw new Error(`redis-server exited at start-up:\n${output()}`);
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      // With AOF on, the server answers LOADING until the file is read back.
      if ((await client.ping()) === 'PONG') return;
    } catch {
      // not up yet
    } finally {
      client.disconnect();
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not answer on ${url} within 10 s:\n${output()}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
