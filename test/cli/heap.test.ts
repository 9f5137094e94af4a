// The heap growth of a worker process (src/cli/heap.ts): with a fixed growth, a heap that holds
// some live objects and makes garbage fast stays near their size, where V8 left alone lets it
// grow to several times as much before it collects.

import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const HEAP = pathToFileURL(resolve('src/cli/heap.ts')).href;

/**
 * Live and largest total heap (MB) of a child that keeps ~90 MB live and makes garbage for 2 s,
 * with a young generation of 3 MB so that the old generation is what is measured.
 */
function churn(percent: number): { liveMb: number; maxTotalMb: number } {
  const script = `
    import { limitHeapGrowth } from '${HEAP}';
    limitHeapGrowth(${percent});
    const live = Array.from({ length: 300_000 }, (_, i) => ({ i, s: 'item ' + i + ' '.repeat(40) + i }));
    let max = 0, garbage = [];
    for (const end = Date.now() + 2_000; Date.now() < end; ) {
      for (let k = 0; k < 5_000; k++) garbage.push({ k, s: 'garbage ' + k + ' '.repeat(30) + k });
      if (garbage.length > 50_000) garbage = [];
      max = Math.max(max, process.memoryUsage().heapTotal);
    }
    globalThis.gc();
    console.log(JSON.stringify({ liveMb: process.memoryUsage().heapUsed / 2 ** 20, maxTotalMb: max / 2 ** 20, kept: live.length }));
  `;
  const out = execFileSync(process.execPath, ['--expose-gc', '--max-semi-space-size=1', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  return JSON.parse(out) as { liveMb: number; maxTotalMb: number };
}

describe('limitHeapGrowth', () => {
  it('keeps a busy heap within its live objects and the growth allowed (V8 alone let it reach 3-4 times them)', () => {
    const { liveMb, maxTotalMb } = churn(25);
    // 131-135 MB for 87 MB live in runs on a loaded machine; 284-389 MB without the limit.
    expect(maxTotalMb).toBeLessThan(liveMb * 1.25 + 40);
  });
});
