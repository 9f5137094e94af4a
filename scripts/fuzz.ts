// `npm run fuzz -- --minutes N`: runs every fuzz target in test/fuzz/ for longer than `npm test`
// does, sharing N minutes (default 5) among them. Exit code is vitest's: non-zero on any failure,
// with fast-check's seed and counterexample printed (replay with FUZZ_SEED=<seed>).

import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '5' } } });
const minutes = Number(values.minutes);
if (!Number.isFinite(minutes) || minutes <= 0) {
  process.stderr.write('fuzz: --minutes takes a positive number, e.g. --minutes 30\n');
  process.exit(2);
}
// One property per `it(` is the convention, so counting them shares the time fairly.
const files = readdirSync('test/fuzz').filter((f) => f.endsWith('.test.ts'));
const targets = files.reduce((n, f) => n + (readFileSync(`test/fuzz/${f}`, 'utf8').match(/\bit\(/g)?.length ?? 0), 0);
if (targets === 0) {
  process.stderr.write('fuzz: no targets in test/fuzz/\n');
  process.exit(2);
}
const perTarget = Math.floor((minutes * 60_000) / targets);
process.stdout.write(`fuzz: ${targets} targets in ${files.length} files, ${(perTarget / 1000).toFixed(0)} s each\n`);
// Default reporter only: the JSON report (reports/vitest.json) stays the one of `npm test`, which
// .ci/run's last line is read from.
const run = spawnSync('npx', ['vitest', 'run', 'test/fuzz', '--no-file-parallelism', '--reporter=default'], {
  stdio: 'inherit',
  env: { ...process.env, FUZZ_MS_PER_TARGET: String(perTarget) },
});
process.exit(run.status ?? 1);
