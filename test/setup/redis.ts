// Vitest global setup: a throwaway redis-server on a free port for the whole run (never the
// user's data), or TEST_REDIS_URL when given. Tests get its URL with inject('redisUrl') and
// keep apart by using their own key prefix.

import type { TestProject } from 'vitest/node';
import { startManagedRedis, type ManagedRedis } from '../../src/queue/managed-redis.js';

let server: ManagedRedis | undefined;

export async function setup(project: TestProject): Promise<void> {
  const given = process.env.TEST_REDIS_URL;
  if (!given) server = await startManagedRedis();
  project.provide('redisUrl', given ?? (server as ManagedRedis).url);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
