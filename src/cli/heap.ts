// How much garbage a worker process lets its JavaScript heaps hold. V8 collects the old
// generation when it has grown by a factor of what survived the last full collection, and picks
// the factor itself, up to 4 when allocation is fast and the heap limit large (4 GB on a machine
// with 16 GB or more): a worker with 77 MB of live objects kept 310-340 MB of heap. A fixed growth
// (--heap-growing-percent, which V8 reads at every collection, so it can be set after start)
// bounds that. The flag holds for every thread of the process, but only the main thread's heap
// changed measurably: a parsing thread's heap cap (parsing.memory) already keeps V8's factor
// small there. Each full collection marks every live object, so the CPU it costs goes with how
// often the heap fills: in the no-fetch benchmark 100 % took 8-10 % less CPU per article than
// 50 % (18 alternated rounds each) for no higher peak, and with 5,000 feeds and 10,000 rules the
// worker peaked at 373 MB against 335 MB; 200 % passed 400 MB; 30 % cost 17 % more CPU than 50 %.

import { setFlagsFromString } from 'node:v8';

/** Lets each heap grow by at most `percent` % of its live objects between full collections; 0 leaves V8's own factor. */
export function limitHeapGrowth(percent: number): void {
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
