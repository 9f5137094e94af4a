// formatTime shows a time in the subscription's zone; one Intl.DateTimeFormat per zone is built
// and kept (a digest of 50 stories built 50), in a bounded cache.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatTime } from '../../src/alerts/alert.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('formatTime', () => {
  it('shows the time in the given zone', () => {
    expect(formatTime('2026-11-24T10:30:00.000Z', 'UTC')).toBe('24 Nov 2026, 10:30 UTC');
    expect(formatTime('2026-07-24T10:30:00.000Z', 'Europe/Kyiv')).toBe('24 Jul 2026, 13:30 EEST');
    expect(formatTime('not a date', 'UTC')).toBe('');
    expect(formatTime(undefined, 'UTC')).toBe('');
  });

  it('builds one formatter per zone, however many times it is called', () => {
    const built = vi.spyOn(Intl, 'DateTimeFormat');
    for (let i = 0; i < 50; i++) formatTime(new Date(Date.UTC(2026, 0, 1 + i)).toISOString(), 'America/Los_Angeles');
    for (let i = 0; i < 50; i++) formatTime(new Date(Date.UTC(2026, 0, 1 + i)).toISOString(), 'Asia/Tokyo');
    expect(built.mock.calls.length).toBeLessThanOrEqual(2);
  });

  it('keeps a bounded number of formatters: with every zone in use, the oldest is built again', () => {
    const zones = Intl.supportedValuesOf('timeZone');
    expect(zones.length).toBeGreaterThan(300);
    for (const zone of zones) formatTime('2026-11-24T10:30:00.000Z', zone);
    const built = vi.spyOn(Intl, 'DateTimeFormat');
    formatTime('2026-11-24T10:30:00.000Z', zones.at(-1)!);
    expect(built).not.toHaveBeenCalled();
    formatTime('2026-11-24T10:30:00.000Z', zones[0]!);
    expect(built).toHaveBeenCalledTimes(1);
  });
});
