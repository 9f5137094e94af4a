// How long each fuzz target runs. `npm test` gives every target a short run (the CI run);
// `npm run fuzz -- --minutes N` shares N minutes among the targets through FUZZ_MS_PER_TARGET.
// A failure prints fast-check's seed and path; FUZZ_SEED replays it.

import type { Parameters } from 'fast-check';

/** Milliseconds each fuzz target may run; 3 s unless the fuzz script says otherwise. */
export const fuzzMsPerTarget = (): number => Number(process.env.FUZZ_MS_PER_TARGET) || 3_000;

/** fast-check parameters for one target: as many runs as fit in its time. */
export function fuzzParams<T>(): Parameters<T> {
  const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
  return {
    numRuns: Number.MAX_SAFE_INTEGER,
    interruptAfterTimeLimit: fuzzMsPerTarget(),
    markInterruptAsFailure: false,
    ...(seed === undefined ? {} : { seed }),
  };
}

/** Vitest timeout for a test that runs one or more fuzz targets: their budget plus slack. */
export const fuzzTimeout = (targets = 1): number => targets * fuzzMsPerTarget() + 30_000;
