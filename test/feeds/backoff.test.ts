import { describe, expect, it } from 'vitest';
import { backoffDelay, isFlagged, nextPollAfterFailure, nextPollAfterSuccess, shouldSkipPoll } from '../../src/feeds/backoff.js';

const MIN = 60_000;
const policy = { maxBackoffMs: 6 * 60 * MIN, maxRetryAfterMs: 24 * 60 * MIN };

describe('backoff', () => {
  it('doubles the wait with each consecutive failure, from twice the interval up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 10].map((n) => backoffDelay(10 * MIN, n, policy.maxBackoffMs) / MIN)).toEqual([20, 40, 80, 160, 320, 360, 360]);
  });

  it('never waits less than the interval, even when the cap is smaller', () => {
    expect(backoffDelay(10 * MIN, 3, 5 * MIN)).toBe(10 * MIN);
  });

  it("takes the server's Retry-After over the backoff, up to its own cap", () => {
    expect(nextPollAfterFailure(0, { consecutiveFailures: 5, retryAfterSeconds: 90 }, 10 * MIN, policy)).toEqual({ at: 90_000, reason: 'retry-after' });
    expect(nextPollAfterFailure(0, { consecutiveFailures: 1, retryAfterSeconds: 7 * 86_400 }, 10 * MIN, policy).at).toBe(24 * 60 * MIN);
    expect(nextPollAfterFailure(0, { consecutiveFailures: 1 }, 10 * MIN, policy)).toEqual({ at: 20 * MIN, reason: 'backoff' });
  });

  it('goes back to the interval after a success', () => {
    expect(nextPollAfterSuccess(1_000, 10 * MIN)).toEqual({ at: 1_000 + 10 * MIN, reason: 'schedule' });
  });
});

describe('shouldSkipPoll', () => {
  const interval = 10 * MIN;
  it('skips scheduled polls until the backoff ends, allowing a tenth of the interval early', () => {
    const next = { at: 30 * MIN, reason: 'backoff' as const };
    expect(shouldSkipPoll(next, 10 * MIN, true, interval)).toBe(true);
    expect(shouldSkipPoll(next, 29.5 * MIN, true, interval)).toBe(false);
    expect(shouldSkipPoll(next, 31 * MIN, true, interval)).toBe(false);
  });
  it('lets a poll asked for by hand through a backoff but not through a Retry-After', () => {
    expect(shouldSkipPoll({ at: 30 * MIN, reason: 'backoff' }, 10 * MIN, false, interval)).toBe(false);
    expect(shouldSkipPoll({ at: 30 * MIN, reason: 'retry-after' }, 10 * MIN, false, interval)).toBe(true);
  });
  it('never skips a feed on its normal schedule', () => {
    expect(shouldSkipPoll({ at: 30 * MIN, reason: 'schedule' }, 10 * MIN, true, interval)).toBe(false);
    expect(shouldSkipPoll(undefined, 0, true, interval)).toBe(false);
  });
});

describe('isFlagged', () => {
  it('flags a feed failing for longer than flagAfter, and only then', () => {
    expect(isFlagged(0, 86_400_000, 86_400_000)).toBe(true);
    expect(isFlagged(0, 86_399_999, 86_400_000)).toBe(false);
    expect(isFlagged(undefined, 1e12, 1)).toBe(false);
  });
});
