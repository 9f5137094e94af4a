// A real Redis Cluster for tests: three masters started from redis-server on 127.0.0.1 (each
// with its own port and cluster-bus port under a temp dir), joined with `redis-cli --cluster
// create`, and stopped again. `startRedisCluster` returns undefined, with the reason, when this
// redis-server has no cluster support, so the caller can skip with a message.

import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort, startManagedRedis, type ManagedRedis } from '../../src/queue/managed-redis.js';

export interface TestCluster {
  /** REDIS_URL for Newswatch: redis+cluster://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3 */
  url: string;
  ports: number[];
  stop(): Promise<void>;
}

const run = promisify(execFile);

export async function startRedisCluster(masters = 3): Promise<TestCluster | { unsupported: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'newswatch-cluster-'));
  const nodes: ManagedRedis[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      const busPort = await freePort();
      nodes.push(
        await startManagedRedis({
          args: ['--cluster-enabled', 'yes', '--cluster-port', String(busPort), '--cluster-config-file', join(dir, `node-${i}.conf`), '--dir', dir],
        }),
      );
    }
  } catch (err) {
    await stop();
    const message = (err as Error).message;
    if (/cluster|Bad directive|unknown option/i.test(message)) return { unsupported: `redis-server has no cluster support: ${message.split('\n').slice(-3).join(' ')}` };
    throw err;
  }
  try {
    const addresses = nodes.map((n) => `127.0.0.1:${n.port}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes']);
    await waitForClusterOk(nodes.map((n) => n.url));
    return { url: `redis+cluster://${addresses.join(',')}`, ports: nodes.map((n) => n.port), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function waitForClusterOk(urls: string[]): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (const url of urls) {
    const client = new Redis(url);
    try {
      while (!/cluster_state:ok/.test(await client.cluster('INFO'))) {
        if (Date.now() > deadline) throw new Error(`cluster at ${url} not ok within 20 s`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      client.disconnect();
    }
  }
}
