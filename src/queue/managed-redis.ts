// Starts a private redis-server: for the tests a throwaway child on a free port
// (startManagedRedis); for users without Redis one per data folder, shared by every newswatch
// process that uses the folder (openManagedRedis), with AOF on:
//   <dir>/server.json    the port file: {pid, port} of the running redis-server
//   <dir>/users/<pid>    one empty file per process using it
//   <dir>/lock           held (proper-lockfile) while either changes; stale after 10 s
// The first process starts the server detached, later ones find and use it, and the last to
// leave shuts it down. What a crash leaves behind is recovered: a user file whose pid is dead is
// dropped, a port file whose server does not answer (or is not that pid) is replaced.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import lockfile from 'proper-lockfile';

export interface ManagedRedis {
  url: string;
  port: number;
  /** The redis-server's process id. */
  pid: number;
  /** A test's server: stops it. A data folder's: leaves it, and stops it if no one else uses it. */
  stop(): Promise<void>;
}

export interface ManagedRedisOptions {
  /** Data directory; AOF is on when given, nothing is persisted when not. */
  dir?: string;
  port?: number;
  binary?: string;
  /** More redis-server options, e.g. a cluster node's (tests). */
  args?: string[];
  /** Outlives this process (its own process group, output to <dir>/redis.log); needs `dir`. */
  detached?: boolean;
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
  const logFile = options.detached && options.dir ? join(options.dir, 'redis.log') : undefined;
  if (logFile) args.push('--logfile', logFile);
  const child = spawn(options.binary ?? 'redis-server', args, { stdio: ['ignore', logFile ? 'ignore' : 'pipe', logFile ? 'ignore' : 'pipe'], detached: Boolean(logFile) });
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const tail = async () => (logFile ? (await readFile(logFile, 'utf8').catch(() => '')).slice(-4000) : output);

  const url = `redis://127.0.0.1:${port}`;
  await waitUntilReady(url, child, tail, () => spawnError);
  if (logFile) child.unref();
  return {
    url,
    port,
    pid: child.pid as number,
    stop: () => stopChild(child),
  };
}

interface PortFile {
  pid: number;
  port: number;
}

/**
 * The redis-server of a data folder: the one already running there, or a new one. Every process
 * that calls this is counted as a user until it calls stop(); see the header for the files.
 */
export async function openManagedRedis(dir: string, binary?: string): Promise<ManagedRedis> {
  const users = join(dir, 'users');
  await mkdir(users, { recursive: true });
  const server = await underLock(dir, async () => {
    const found = await runningServer(dir);
    let server: PortFile;
    if (found) {
      server = found;
    } else {
      const started = await startManagedRedis({ dir, binary, detached: true });
      server = { pid: started.pid, port: started.port };
      await writeFile(join(dir, 'server.json'), `${JSON.stringify(server)}\n`);
    }
    await writeFile(join(users, String(process.pid)), '');
    return server;
  });
  return { url: `redis://127.0.0.1:${server.port}`, port: server.port, pid: server.pid, stop: () => leave(dir, server) };
}

async function leave(dir: string, server: PortFile): Promise<void> {
  await underLock(dir, async () => {
    const users = join(dir, 'users');
    await rm(join(users, String(process.pid)), { force: true });
    let others = 0;
    for (const name of await readdir(users)) {
      if (alive(Number(name))) others++;
      else await rm(join(users, name), { force: true }); // left by a process that crashed
    }
    if (others > 0 || !(await isServer(server))) return;
    await shutdown(server);
    await rm(join(dir, 'server.json'), { force: true });
  });
}

async function underLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(dir, {
      lockfilePath: join(dir, 'lock'),
      realpath: false,
      stale: 10_000,
      // Starting a server takes up to 10 s under the lock; wait for it, and a bit more.
      retries: { retries: 60, minTimeout: 50, maxTimeout: 500 },
      onCompromised: () => undefined,
    });
  } catch (err) {
    throw new Error(`cannot take the lock ${join(dir, 'lock')} of the managed Redis: ${(err as Error).message}`, { cause: err });
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}

/** The port file's server, when it answers on its port and is the process the file names. */
async function runningServer(dir: string): Promise<PortFile | undefined> {
  let server: PortFile;
  try {
    server = JSON.parse(await readFile(join(dir, 'server.json'), 'utf8')) as PortFile;
  } catch {
    return undefined;
  }
  return alive(server.pid) && (await isServer(server)) ? server : undefined;
}

/** Whether the Redis answering on the port is the process `server` names (not a stranger reusing the port). */
async function isServer(server: PortFile): Promise<boolean> {
  const client = new Redis(server.port, '127.0.0.1', { lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return /^process_id:(\d+)/m.exec(await client.info('server'))?.[1] === String(server.pid);
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** SHUTDOWN (which writes the AOF), then wait for the process to go. */
async function shutdown(server: PortFile): Promise<void> {
  const client = new Redis(server.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  await client
    .connect()
    .then(() => client.call('SHUTDOWN'))
    .catch(() => undefined) // the connection closes as the server goes
    .finally(() => client.disconnect());
  const deadline = Date.now() + 10_000;
  while (alive(server.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitUntilReady(
  url: string,
  child: ChildProcess,
  output: () => Promise<string>,
  spawnError: () => Error | undefined,
): Promise<void> {
  const deadline = Date.now() + 10_000;
  let exited = false;
  child.once('exit', () => (exited = true));
  while (Date.now() < deadline) {
    const failed = spawnError();
    if (failed) throw failed; // ENOENT when redis-server is not installed
    if (exited) throw new Error(`redis-server exited at start-up:\n${await output()}`);
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
  throw new Error(`redis-server did not answer on ${url} within 10 s:\n${await output()}`);
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
