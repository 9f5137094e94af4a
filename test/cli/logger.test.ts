import { describe, expect, it } from 'vitest';
import { readableLogs } from '../../src/cli/logger.js';

describe('log format', () => {
  it('is readable lines on a terminal and JSON lines elsewhere', () => {
    expect(readableLogs({}, { isTTY: true })).toBe(true);
    expect(readableLogs({}, { isTTY: undefined })).toBe(false);
  });

  it('follows LOG_FORMAT over the terminal test', () => {
    expect(readableLogs({ LOG_FORMAT: 'json' }, { isTTY: true })).toBe(false);
    expect(readableLogs({ LOG_FORMAT: 'pretty' }, { isTTY: undefined })).toBe(true);
  });
});
