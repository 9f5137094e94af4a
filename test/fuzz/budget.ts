// How long each fuzz target runs. `npm test` gives every target a short run (the CI run);
// `npm run fuzz -- --minutes N` shares N minutes among the targets through FUZZ_MS_PER_TARGET.
// A failure prints fast-check's seed and path; FUZZ_SEED replays it.
//
// The time is spent in batches of cases, each run to its end: fast-check's own time limit
// (interruptAfterTimeLimit) abandons an asynchronous case when time is up, which would pass a
// case that hangs (the hang guards of the targets need their seconds to call it one).

import fc, { type IRawProperty, type Parameters } from 'fast-check';

/** Milliseconds each fuzz target may run; 3 s unless the fuzz script says otherwise. */
export const fuzzMsPerTarget = (): number => Number(process.env.FUZZ_MS_PER_TARGET) || 3_000;

/** Cases per batch: the time may be overrun by one batch. */
const BATCH = 10;

/**
 * A batch, shrinking included, stops after this long and reports the smallest failing case found
 * so far: shrinking a hang costs the hang limit on every step.
 */
const BATCH_LIMIT_MS = 60_000;

/** Vitest timeout for a test that runs one or more fuzz targets: their budget plus a batch's limit. */
export const fuzzTimeout = (targets = 1): number => targets * (fuzzMsPerTarget() + BATCH_LIMIT_MS) + 30_000;

/**
 * Runs one fuzz target's property for its time and fails with fast-check's report (seed, path,
 * shrunk counterexample, the error). Under `npm run fuzz` it prints how many cases it ran.
 */
export async function runFuzz<Ts>(name: string, property: IRawProperty<Ts>): Promise<void> {
  const end = Date.now() + fuzzMsPerTarget();
  const first = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
  let cases = 0;
  for (let batch = 0; batch === 0 || Date.now() < end; batch++) {
    // The replayed seed is the first batch's, so FUZZ_SEED=<seed> finds the case again at once.
    const params: Parameters<Ts> = { numRuns: BATCH, interruptAfterTimeLimit: BATCH_LIMIT_MS, ...(batch === 0 && first !== undefined ? { seed: first } : {}) };
    const details = await fc.check(property, params);
    if (details.failed) {
      const cause = details.errorInstance;
      const why = cause instanceof Error ? (cause.stack ?? cause.message) : String(cause);
      throw new Error(`fuzz target ${name}: ${fc.defaultReportMessage(details) ?? 'failed'}\n${why}`, { cause });
    }
    cases += details.numRuns;
  }
  if (process.env.FUZZ_MS_PER_TARGET) process.stdout.write(`fuzz: ${name}: ${cases} cases in ${(fuzzMsPerTarget() / 1000).toFixed(0)} s\n`);
}
