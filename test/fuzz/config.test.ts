// Fuzzing the config loader (src/config/load.ts, issue 13): the shipped config files (config/)
// with one of them mutated — characters flipped, lines cut, duplicated or nested, YAML anchors,
// tags, flow collections and interpolations put anywhere. The directory either loads or is
// refused with issues that each name a file, a line and a column (from 1) and say what is wrong;
// the loader never throws, and never leaves a warning on stderr instead.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HangGuard } from '../helpers/hang-guard.js';
import { fuzzTimeout, runFuzz } from './budget.js';
import { mutated } from './mutate.js';
import type { configOutcome } from './targets.js';

const guard = new HangGuard(new URL('./targets.ts', import.meta.url).href, 5_000);
const dir = mkdtempSync(join(tmpdir(), 'newswatch-fuzz-config-'));
beforeAll(() => guard.start(), 60_000);
afterAll(async () => {
  await guard.close();
  rmSync(dir, { recursive: true, force: true });
});

const CONFIG = new URL('../../config/', import.meta.url);
const SHIPPED: Record<string, string> = Object.fromEntries(readdirSync(CONFIG).filter((f) => f.endsWith('.yaml')).map((f) => [f, readFileSync(new URL(f, CONFIG), 'utf8')]));
const NAMES = Object.keys(SHIPPED);

const TOKENS = ['&a ', '*a', '? [a, b]\n: ', '{a: 1}: ', '<<: *a', '!!binary ', '!!js/function ', '!!str ', '!custom ', '{', '}', '[', ']', '---\n', '...\n', '%YAML 1.2\n', '? ', ': ', '- ', '|', '>-', '"', "'", '\t', '#', '${NEWSWATCH_X}', '${', '$${', '\n  ', '\n', '~', 'null', 'true', '0x1F', '1e999', '-.inf', '2024-01-01', '\u00a0', '\r\n', '\uFEFF', '\u0000', 'id: dup', 'query: "(a"', 'interval: 0s', 'url: http://127.0.0.1/'];
const token = fc.constantFrom(...TOKENS);
const files = fc.tuple(fc.constantFrom(...NAMES), fc.constantFrom(...NAMES), fc.boolean()).chain(([name, dropped, drop]) =>
  mutated(fc.constant(SHIPPED[name]!), token, { maxRepeat: 200, maxDepth: 200 }).map((text) => {
    const out: Record<string, string> = { ...SHIPPED, [name]: text };
    // A missing file is a case too (settings.yaml and sites.yaml are optional).
    if (drop && dropped !== name) delete out[dropped];
    return out;
  }),
);

describe('config loader (fuzz)', () => {
  it(
    'loads mutated config files or reports issues with file, line, column and message',
    async () => {
      await runFuzz(
        'config',
        fc.asyncProperty(files, async (f) => {
          const { loaded, issues, warnings } = await guard.call<Awaited<ReturnType<typeof configOutcome>>>('configOutcome', { dir, files: f });
          const list = issues as { file: unknown; line: unknown; column: unknown; message: unknown; severity: unknown }[];
          expect(warnings, 'the loader made a process warning (stderr) instead of an issue').toEqual([]);
          if (!loaded) expect(list.some((i) => i.severity === 'error'), 'not loaded, but no error says why').toBe(true);
          for (const i of list) {
            const where = JSON.stringify(i);
            expect(typeof i.file === 'string' && i.file.length > 0, where).toBe(true);
            expect(Number.isInteger(i.line) && (i.line as number) >= 1, where).toBe(true);
            expect(Number.isInteger(i.column) && (i.column as number) >= 1, where).toBe(true);
            expect(typeof i.message === 'string' && /\S/.test(i.message), where).toBe(true);
            expect(['error', 'warning']).toContain(i.severity);
          }
        }),
      );
    },
    fuzzTimeout(),
  );
});
