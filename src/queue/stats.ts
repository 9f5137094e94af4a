// How far behind each queue is, read from Redis: job counts by state and the age of the oldest
// job waiting to be taken. `/metrics` and `newswatch status` both show it.

import type { Queue } from 'bullmq';
import type { Queues } from './context.js';

export interface QueueStats {
  queue: keyof Queues;
  waiting: number;
  active: number;
  /** Retries waiting out their backoff, and schedulers' next runs. */
  delayed: number;
  /** Jobs that ran out of attempts and are kept. */
  failed: number;
  /** Milliseconds since the oldest waiting job became ready to run; 0 when none waits. */
  oldestWaitingMs: number;
}

export async function queueStats(queues: Queues, now = Date.now()): Promise<QueueStats[]> {
  return Promise.all(
    (Object.entries(queues) as [keyof Queues, Queue][]).map(async ([name, queue]) => {
      const counts = await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed');
      // The wait list takes jobs from its far end: ascending order from 0 gives the oldest.
      const [oldest] = await queue.getJobs(['wait'], 0, 0, true);
      // A job becomes ready when its delay (a schedule or a retry's backoff) has passed.
      const readySince = oldest ? oldest.timestamp + (oldest.delay || 0) : now;
      return {
        queue: name,
        waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
        active: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        failed: counts.failed ?? 0,
        oldestWaitingMs: Math.max(0, now - readySince),
      };
    }),
  );
}
