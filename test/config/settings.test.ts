// settings.yaml: optional, validated like the other config files (file:line:column and a hint),
// and threaded into the worker Settings.

import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { DEFAULT_SETTINGS_FILE } from '../../src/config/settings-schema.js';
import { formatSize, parseSize } from '../../src/config/size.js';
import { defaultSettings } from '../../src/queue/context.js';
import { writeConfig } from '../helpers/pipeline.js';

const FILES = {
  feeds: 'feeds:\n  - id: wire\n    url: https://example.org/feed.xml\n',
  rules: "rules:\n  - id: r\n    query: 'ceasefire'\n",
  subscriptions: 'subscriptions:\n  - id: desk\n    email: desk@example.org\n    rules: [r]\n',
};

async function load(settings?: string, env: NodeJS.ProcessEnv = {}) {
  const dir = await writeConfig(FILES);
  if (settings !== undefined) await writeFile(join(dir, 'settings.yaml'), settings);
  return loadConfig(dir, env);
}

describe('settings.yaml', () => {
  it('is optional: without it every default applies', async () => {
    const { config, issues } = await load();
    expect(issues).toEqual([]);
    expect(config?.settings).toEqual(DEFAULT_SETTINGS_FILE);
    expect(defaultSettings({}, config?.settings)).toMatchObject({
      connectTimeoutMs: 10_000,
      feedTimeoutMs: 30_000,
      pageTimeoutMs: 20_000,
      feedMaxBytes: 10 * 1024 * 1024,
      pageMaxBytes: 5 * 1024 * 1024,
      maxRedirects: 5,
      allowAddresses: [],
      hosts: { concurrency: 2, minGapMs: 1_000, maxWaitMs: 120_000, overrides: {} },
      firstPollMaxAgeMs: 3 * 86_400_000,
      maxBackoffMs: 12 * 3_600_000,
      maxRetryAfterMs: 86_400_000,
      flagAfterMs: 86_400_000,
      pageMaxDelayMs: 600_000,
      dedupWindowMs: 48 * 3_600_000,
      deliverAttempts: 12,
      deliverBackoffMs: 20_000,
      webhookTimeoutMs: 10_000,
      smtpConnections: 5,
      userAgent: 'Newswatch/0.1 (self-hosted news monitor)',
    });
    expect(config?.sites).toEqual([]);
  });

  it('matches the defaults in the shipped config/settings.yaml', async () => {
    const { config, issues } = await loadConfig(resolve('config'), {});
    expect(issues.filter((i) => i.file.endsWith('settings.yaml'))).toEqual([]);
    expect(config?.settings).toEqual(DEFAULT_SETTINGS_FILE);
  });

  it('threads its values, with ${VAR} read from the environment, into the worker settings', async () => {
    const { config, issues } = await load(
      `contact: \${BOT_PAGE}
fetch: { feedMaxSize: 2MB, pageTimeout: 45s }
hosts:
  minGap: 250ms
  overrides:
    Feeds.BBCI.co.uk: { concurrency: 4 }
polling: { firstPollMaxAge: 12h }
alerts: { dedupWindow: 6h }
delivery: { attempts: 3, backoff: 1m, webhookTimeout: 5s, smtpConnections: 2 }
`,
      { BOT_PAGE: 'https://ops.example.org/bot' },
    );
    expect(issues).toEqual([]);
    const settings = defaultSettings({ PUBLIC_URL: 'https://ignored.example.org' }, config?.settings);
    expect(settings).toMatchObject({
      userAgent: 'Newswatch/0.1 (+https://ops.example.org/bot)',
      feedMaxBytes: 2 * 1024 * 1024,
      pageTimeoutMs: 45_000,
      firstPollMaxAgeMs: 12 * 3_600_000,
      dedupWindowMs: 6 * 3_600_000,
      deliverAttempts: 3,
      deliverBackoffMs: 60_000,
      webhookTimeoutMs: 5_000,
      smtpConnections: 2,
      hosts: { concurrency: 2, minGapMs: 250, overrides: { 'feeds.bbci.co.uk': { concurrency: 4, minGapMs: undefined } } },
    });
  });

  it('falls back to PUBLIC_URL for the User-Agent contact', () => {
    expect(defaultSettings({ PUBLIC_URL: 'https://news.example.org' }).userAgent).toBe('Newswatch/0.1 (+https://news.example.org)');
  });

  it('lets a worker heap grow 100 % past its live objects unless NEWSWATCH_HEAP_GROWTH says otherwise', () => {
    expect(defaultSettings({}).heapGrowthPercent).toBe(100);
    expect(defaultSettings({ NEWSWATCH_HEAP_GROWTH: '0' }).heapGrowthPercent).toBe(0);
    expect(defaultSettings({ NEWSWATCH_HEAP_GROWTH: '50' }).heapGrowthPercent).toBe(50);
    for (const bad of ['half', '-10', '12.5', '5000']) {
      expect(() => defaultSettings({ NEWSWATCH_HEAP_GROWTH: bad })).toThrow(`NEWSWATCH_HEAP_GROWTH must be a whole percentage from 0 to 1000 (got "${bad}")`);
    }
  });

  it('names file, line and column of a bad value, with the accepted forms', async () => {
    const { config, issues } = await load('fetch:\n  feedMaxSize: 10 megabytes\nhosts:\n  minGap: soon\n');
    expect(config).toBeUndefined();
    expect(issues).toHaveLength(2);
    expect(issues[0]).toMatchObject({ file: expect.stringMatching(/settings\.yaml$/), line: 2, column: 16 });
    expect(issues[0]?.message).toContain('"10 megabytes" is not a size');
    expect(issues[1]).toMatchObject({ line: 4, column: 11 });
    expect(issues[1]?.message).toContain('"soon" is not a duration');
  });

  it('takes the private ranges pages may reach, and names a bad one with the accepted forms', async () => {
    const { config } = await load('fetch:\n  allowAddresses: [10.0.0.0/8, 192.168.1.20, "fd00::/8"]\n');
    expect(defaultSettings({}, config?.settings).allowAddresses).toEqual(['10.0.0.0/8', '192.168.1.20', 'fd00::/8']);
    const { issues } = await load('fetch:\n  allowAddresses: [10.0.0.0/8, intranet]\n');
    expect(issues[0]).toMatchObject({ line: 2, column: 32 });
    expect(issues[0]?.message).toContain('not an address range: write a CIDR range such as "10.0.0.0/8"');
  });

  it('suggests the right key for a misspelt one', async () => {
    const { issues } = await load('polling:\n  maxBackof: 6h\n');
    expect(issues[0]).toMatchObject({ line: 2, column: 3, message: 'unknown key "maxBackof"' });
    expect(issues[0]?.hint).toMatch(/did you mean "maxBackoff"/);
  });
});

describe('sites.yaml', () => {
  async function loadSites(sites: string) {
    const dir = await writeConfig({ ...FILES, sites });
    return loadConfig(dir, {});
  }

  it('loads per-site extraction rules, host normalised', async () => {
    const { config, issues } = await loadSites('sites:\n  - host: WWW.Example.org\n    content: "article .body"\n    remove: [".promo", "#share"]\n');
    expect(issues).toEqual([]);
    expect(config?.sites).toEqual([{ host: 'example.org', content: 'article .body', remove: ['.promo', '#share'] }]);
  });

  it('names file, line and column of a bad selector, a bad host and a second rule for one host', async () => {
    const { config, issues } = await loadSites(
      'sites:\n  - host: example.org\n    content: "div[["\n  - host: https://example.net/\n  - host: example.org\n    remove: [".ad"]\n',
    );
    expect(config).toBeUndefined();
    expect(issues.map((i) => [i.file.endsWith('sites.yaml'), i.line])).toEqual([
      [true, 3],
      [true, 4],
    ]);
    expect(issues[0]?.message).toContain('not a valid CSS selector');
    expect(issues[1]?.message).toContain('bare host name');
    // The duplicate is reported once the file is otherwise valid.
    const dup = await loadSites('sites:\n  - host: example.org\n    content: article\n  - host: www.example.org\n    remove: [".ad"]\n');
    expect(dup.issues).toHaveLength(1);
    expect(dup.issues[0]).toMatchObject({ line: 4, message: 'duplicate site rule for host "example.org" (also item 1)' });
    expect(dup.issues[0]?.hint).toContain('merge');
  });
});

describe('sizes', () => {
  it.each([
    ['10MB', 10_485_760],
    ['512KB', 524_288],
    ['1.5 MB', 1_572_864],
    ['2GiB', 2_147_483_648],
    ['4096', 4096],
  ])('reads %s', (text, bytes) => expect(parseSize(text)).toBe(bytes));
  it.each(['ten MB', '-1MB', '0', '5 TB'])('rejects %j', (text) => expect(parseSize(text)).toBeUndefined());
  it('formats back', () => {
    expect(formatSize(10_485_760)).toBe('10MB');
    expect(formatSize(1000)).toBe('1000 bytes');
  });
});
