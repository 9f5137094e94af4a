// Builds a real pipeline for integration tests: config written as YAML into a temp directory and
// loaded by the real loader, the run's throwaway Redis under a fresh key prefix, short backoffs.

import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { inject } from 'vitest';
import { createMailer } from '../../src/alerts/mailer.js';
import { loadConfigOrThrow } from '../../src/config/load.js';
import { defaultSettings, type Settings } from '../../src/queue/context.js';
import { createPipeline, type Pipeline } from '../../workers/index.js';

export const uniquePrefix = () => `nwtest-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

export async function writeConfig(files: { feeds: string; rules: string; subscriptions: string; settings?: string; sites?: string }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'newswatch-config-'));
  for (const [name, text] of Object.entries(files)) if (text !== undefined) await writeFile(join(dir, `${name}.yaml`), text);
  return dir;
}

export async function testPipeline(
  configDir: string,
  options: { smtpUrl?: string; outboxDir?: string; settings?: Partial<Settings>; env?: NodeJS.ProcessEnv; redisUrl?: string; log?: Logger } = {},
): Promise<Pipeline> {
  const config = await loadConfigOrThrow(configDir, options.env ?? {});
  const base = defaultSettings({}, config.settings);
  const settings: Settings = {
    ...base,
    // Every test server is 127.0.0.1: one "host" for all feeds and pages, so no politeness gap.
    hosts: { ...base.hosts, concurrency: 16, minGapMs: 0 },
    prefix: uniquePrefix(),
    pollAttempts: 1,
    deliverAttempts: 4,
    deliverBackoffMs: 100,
    ...options.settings,
  };
  const mailer = createMailer({ smtpUrl: options.smtpUrl, outboxDir: options.outboxDir ?? join(configDir, 'outbox'), from: 'Newswatch <nw@test.local>' });
  return createPipeline({ redisUrl: options.redisUrl ?? inject('redisUrl'), config, settings, mailer, log: options.log ?? pino({ level: 'silent' }) });
}

/**
 * Adds one poll job per feed (as run-once does; `feedIds` picks some) and waits until every
 * queue is drained. Feeds polled together are processed in no fixed order.
 */
export async function pollAllAndDrain(pipeline: Pipeline, timeoutMs = 60_000, feedIds?: string[]): Promise<void> {
  const stamp = `${Date.now()}-${Math.random().toString(36).slice(2, 6)}`;
  const feeds = pipeline.ctx.config.feeds.filter((f) => !feedIds || feedIds.includes(f.id));
  await pipeline.ctx.queues.poll.addBulk(feeds.map((f) => ({ name: 'poll', data: { feedId: f.id }, opts: { jobId: `t-${f.id}-${stamp}` } })));
  await drain(pipeline, timeoutMs);
}

export async function drain(pipeline: Pipeline, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pending = await pipeline.pending();
    if (Object.values(pending).every((n) => n === 0)) return;
    if (Date.now() > deadline) throw new Error(`queues not drained after ${timeoutMs} ms: ${JSON.stringify(pending)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A logger that keeps every line as an object, for tests that check what was logged. */
export function recordingLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { log, lines };
}
