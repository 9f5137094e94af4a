// .ci/run's last line (issue 11): scripts/test-summary.mjs reads vitest's JSON report.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SCRIPT = join(import.meta.dirname, '../../scripts/test-summary.mjs');

function summarise(report: unknown): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'nw-summary-'));
  const file = join(dir, 'vitest.json');
  if (report !== undefined) writeFileSync(file, typeof report === 'string' ? report : JSON.stringify(report));
  return execFileSync(process.execPath, [SCRIPT, file], { encoding: 'utf8', cwd: dir }).trimEnd().split('\n');
}

const passing = (name: string) => ({ name, status: 'passed', assertionResults: [{ status: 'passed' }] });

describe('test-summary', () => {
  it('ends with the passed and failed counts of the report', () => {
    const lines = summarise({
      numPassedTests: 41, numFailedTests: 2, numPendingTests: 3,
      testResults: [passing('/x/a.test.ts'), { name: '/x/b.test.ts', status: 'failed', assertionResults: [{ status: 'failed' }, { status: 'failed' }] }],
    });
    expect(lines).toEqual(['41 passed, 2 failed']);
  });

  it('counts a test file that failed outside any test (it failed to load) as a failure, naming it', () => {
    const dir = '/ci/checkout';
    const lines = summarise({
      numPassedTests: 5, numFailedTests: 0,
      testResults: [passing(`${dir}/a.test.ts`), { name: `${dir}/test/broken.test.ts`, status: 'failed', assertionResults: [] }],
    });
    expect(lines.at(-1)).toBe('5 passed, 1 failed');
    expect(lines[0]).toContain('broken.test.ts');
  });

  it('says vitest did not run when there is no report, and still ends with the line', () => {
    const lines = summarise(undefined);
    expect(lines[0]).toMatch(/no vitest report read from .*vitest\.json.*did not run/);
    expect(lines.at(-1)).toBe('0 passed, 0 failed');
  });

  it('says so when the report is cut short (not JSON)', () => {
    const lines = summarise('{"numPassedTests": 3,');
    expect(lines[0]).toMatch(/no vitest report read/);
    expect(lines.at(-1)).toBe('0 passed, 0 failed');
  });
});
