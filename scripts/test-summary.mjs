// Prints the last line of .ci/run, `N passed, N failed`, from vitest's JSON report (written by the
// `json` reporter configured in vitest.config.ts). Plain JavaScript on purpose: .ci/run calls it
// from its EXIT trap, which also runs when `npm ci` failed and tsx is not installed.
// A missing or unreadable report (vitest never ran, e.g. the type check failed first) is said on
// its own line before `0 passed, 0 failed`, so the last line keeps its form for scripts.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import process from 'node:process';

const say = (line) => process.stdout.write(`${line}\n`);

const file = process.argv[2] ?? 'reports/vitest.json';
let passed = 0;
let failed = 0;
try {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed = Number(report.numPassedTests) || 0;
  failed = Number(report.numFailedTests) || 0;
  // A test file that fails to load (syntax error, failing beforeAll) has no failed test of its
  // own; count it as one failure so the line cannot read as success.
  const brokenFiles = (report.testResults ?? []).filter(
    (r) => r.status === 'failed' && !(r.assertionResults ?? []).some((a) => a.status === 'failed'),
  );
  failed += brokenFiles.length;
  if (brokenFiles.length > 0) {
    say(`${brokenFiles.length} test file(s) failed outside a test: ${brokenFiles.map((r) => relative(process.cwd(), r.name)).join(', ')}`);
  }
} catch (err) {
  say(`no vitest report read from ${file} (${err instanceof Error ? err.message : String(err)}): vitest did not run to its end; see the output above`);
}
say(`${passed} passed, ${failed} failed`);
