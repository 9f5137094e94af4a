import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/config/duration.js';

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['250ms', 250],
  ])('reads %s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['5', '5 minutes', 'm5', '', '0m', '-5m'])('rejects %j', (text) => expect(parseDuration(text)).toBeUndefined());

  it('formats back to the shortest form', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(330_000)).toBe('5m30s');
  });
});
