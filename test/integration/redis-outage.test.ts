// A Redis outage while the workers run: the loss is logged once, then one line per growing
// interval while it lasts, and once when Redis is back; not one line per failed reconnect.

import { describe, expect, it, vi } from 'vitest';
import { startManagedRedis } from '../../src/queue/managed-redis.js';
import { waitFor } from '../helpers/cli.js';
import { recordingLogger, testPipeline, writeConfig } from '../helpers/pipeline.js';

describe('a Redis restart under running workers', () => {
  it('logs the loss once and the recovery once, and prints nothing else', { timeout: 120_000 }, async () => {
    let redis = await startManagedRedis();
    const { port } = redis;
    const { log, lines } = recordingLogger();
    const dir = await writeConfig({ feeds: 'feeds: []\n', rules: 'rules: []\n', subscriptions: 'subscriptions: []\n' });
    const pipeline = await testPipeline(dir, { redisUrl: redis.url, log });
    // ioredis and BullMQ print errors nobody listens to on the console.
    const printed = vi.spyOn(console, 'error');
    try {
      await Promise.all(pipeline.runWorkers().map((w) => w.waitUntilReady()));
      await pipeline.ctx.directory.ready;
      await redis.stop();
      await new Promise((r) => setTimeout(r, 3_000)); // the outage
      redis = await startManagedRedis({ port });
      await waitFor(() => lines.some((l) => String(l.msg).startsWith('Redis is back')), 60_000, 'the recovery line');
      const warnings = lines.filter((l) => (l.level as number) >= 40).map((l) => String(l.msg));
      expect(warnings.filter((m) => m.startsWith('lost the connection to Redis'))).toHaveLength(1);
      expect(warnings.filter((m) => m.startsWith('Redis is back'))).toHaveLength(1);
      // At most one reminder if the machine was slow, and nothing per reconnect attempt.
      expect(warnings.length, warnings.join('\n')).toBeLessThanOrEqual(3);
      expect(printed).not.toHaveBeenCalled();
    } finally {
      printed.mockRestore();
      await pipeline.close();
      await redis.stop();
    }
  });
});
