// When to poll a feed next, as plain functions of its health. Rules: after a success, at its
// interval. After a failure, a server's Retry-After (capped) wins; otherwise the wait doubles
// with each consecutive failure, from twice the interval up to a cap. Scheduled polls that come
// before that time are skipped; a poll asked for by hand (run-once) skips only a Retry-After.
// A feed failing for longer than `flagAfterMs` is flagged, never dropped.

export type NextPollReason = 'schedule' | 'backoff' | 'retry-after';

export interface NextPoll {
  at: number;
  reason: NextPollReason;
}

export interface BackoffPolicy {
  maxBackoffMs: number;
  maxRetryAfterMs: number;
}

export function nextPollAfterSuccess(now: number, intervalMs: number): NextPoll {
  return { at: now + intervalMs, reason: 'schedule' };
}

export function nextPollAfterFailure(
  now: number,
  failure: { consecutiveFailures: number; retryAfterSeconds?: number },
  intervalMs: number,
  policy: BackoffPolicy,
): NextPoll {
  if (failure.retryAfterSeconds !== undefined && failure.retryAfterSeconds > 0) {
    return { at: now + Math.min(failure.retryAfterSeconds * 1000, policy.maxRetryAfterMs), reason: 'retry-after' };
  }
  return { at: now + backoffDelay(intervalMs, failure.consecutiveFailures, policy.maxBackoffMs), reason: 'backoff' };
}

/** interval × 2^failures, at most the cap (and never less than the interval). */
export function backoffDelay(intervalMs: number, consecutiveFailures: number, maxBackoffMs: number): number {
  const factor = 2 ** Math.min(Math.max(consecutiveFailures, 0), 30);
  return Math.max(intervalMs, Math.min(intervalMs * factor, maxBackoffMs));
}

/**
 * Whether a poll that starts now should be skipped. A scheduled poll may come a little early
 * (its timer and ours are not the same), so a tenth of the interval counts as on time.
 */
export function shouldSkipPoll(next: NextPoll | undefined, now: number, scheduled: boolean, intervalMs: number): boolean {
  if (!next || next.reason === 'schedule') return false;
  if (next.reason === 'backoff' && !scheduled) return false;
  return next.at - now > intervalMs / 10;
}

export function isFlagged(failingSince: number | undefined, now: number, flagAfterMs: number): boolean {
  return failingSince !== undefined && now - failingSince >= flagAfterMs;
}
