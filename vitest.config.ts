import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/redis.ts'],
    // cheerio loaded before each file's tests, as code outside the parsing threads loads it before parsing feed HTML (src/feeds/html-dom.ts).
    setupFiles: ['test/setup/dom.ts'],
    // Generous: a hang still fails, and integration tests that spawn processes must not fail on a loaded machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The default reporter for people, and a JSON report that .ci/run's last line
    // (`N passed, N failed`, scripts/test-summary.mjs) is read from. reports/ is git-ignored.
    reporters: ['default', 'json'],
    outputFile: { json: 'reports/vitest.json' },
  },
});
