import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIssue } from '../../src/config/errors.js';
import { feedById, loadConfig } from '../../src/config/load.js';
import type { FeedConfig } from '../../src/config/schema.js';
import { writeConfig } from '../helpers/pipeline.js';

const FEEDS = `feeds:
  - id: wire
    url: https://example.org/feed.xml
`;
const RULES = `rules:
  - id: ukraine-ceasefire
    query: 'ukraine AND ceasefire'
`;
const SUBS = `subscriptions:
  - id: desk
    email: desk@example.org
    rules: [ukraine-ceasefire]
`;

async function load(files: Partial<{ feeds: string; rules: string; subscriptions: string }>, env: NodeJS.ProcessEnv = {}) {
  const dir = await writeConfig({ feeds: FEEDS, rules: RULES, subscriptions: SUBS, ...files });
  return loadConfig(dir, env);
}

describe('loadConfig', () => {
  it('loads a valid directory with defaults applied', async () => {
    const { config, issues } = await load({});
    expect(issues).toEqual([]);
    expect(config?.feeds[0]).toMatchObject({ id: 'wire', interval: 600_000, fetchArticle: false, tags: [] });
    expect(config?.subscriptions[0]).toMatchObject({ delivery: 'immediate' });
  });

  it('accepts the shipped config/ directory', async () => {
    const { config, issues } = await loadConfig(resolve('config'), {});
    expect(issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(config?.rules.map((r) => r.id)).toContain('ukraine-ceasefire');
    expect(config?.feeds.length).toBeGreaterThanOrEqual(5);
  });

  it('lists at most 20 syntax errors of a mangled file, each with a short excerpt (the fuzz found one of 10,800 brackets on one line)', async () => {
    // The long fuzz run's counterexample, seed 1347948003: before, every one of thousands of
    // issues carried the whole line, and the loader ran out of memory.
    const line = ('{'.repeat(54) + '}'.repeat(54)).repeat(200);
    const { config, issues } = await load({ feeds: line });
    expect(config).toBeUndefined();
    expect(issues).toHaveLength(21);
    expect(issues.at(-1)?.message).toMatch(/^\d+ more YAML syntax errors from here on are not listed$/);
    for (const issue of issues) {
      expect(issue).toMatchObject({ file: expect.stringMatching(/feeds\.yaml$/), line: 1 });
      const [shown, caret] = issue.excerpt!.split('\n');
      expect(shown!.length).toBeLessThanOrEqual(2 + 1 + 160 + 1);
      // The caret stands under the character the column names.
      const at = caret!.indexOf('^');
      expect(shown![at]).toBe(line[issue.column - 1]);
    }
  });

  it('refuses a file nested thousands of levels deep with an issue, not a stack overflow (fuzz find)', async () => {
    const { config, issues } = await load({ subscriptions: `${'- '.repeat(20_000)}x\n${SUBS}` });
    expect(config).toBeUndefined();
    expect(issues).toEqual([expect.objectContaining({ file: expect.stringMatching(/subscriptions\.yaml$/), line: 1, column: 1, severity: 'error', message: expect.stringMatching(/nests lists or maps too deeply/) })]);
  });

  it('refuses a tagged binary value used as a key with an issue, not a process warning (fuzz find)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const { config, issues } = await load({ rules: `${RULES}  - id: other\n    query: a\n    !!binary aGVsbG8=: 1\n` });
      expect(config).toBeUndefined();
      expect(issues).toEqual([expect.objectContaining({ line: 6, column: 14, message: 'a !!binary value is used as a key here' })]);
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });

  it('names file, line and column of an unknown key and suggests the right one', async () => {
    const { config, issues } = await load({ feeds: `feeds:\n  - id: wire\n    url: https://example.org/feed.xml\n    intervall: 5m\n` });
    expect(config).toBeUndefined();
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ file: expect.stringMatching(/feeds\.yaml$/), line: 4, column: 5, message: 'unknown key "intervall"' });
    expect(issues[0]?.hint).toMatch(/did you mean "interval"/);
  });

  it('reports a bad duration with the accepted forms', async () => {
    const { issues } = await load({ feeds: `feeds:\n  - id: wire\n    url: https://example.org/feed.xml\n    interval: 5 minutes\n` });
    expect(issues[0]).toMatchObject({ line: 4, column: 15 });
    expect(issues[0]?.message).toContain('"5 minutes" is not a duration');
    expect(issues[0]?.message).toContain('"1h30m"');
  });

  it('reports a subscription naming a rule that does not exist, at that list item', async () => {
    const { issues } = await load({ subscriptions: `subscriptions:\n  - id: desk\n    email: desk@example.org\n    rules: [ukraine-ceasfire]\n` });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ line: 4, column: 13 });
    expect(issues[0]?.message).toContain('names rule "ukraine-ceasfire"');
    expect(issues[0]?.hint).toBe('did you mean "ukraine-ceasefire"?');
  });

  it('reports duplicate ids at the second occurrence', async () => {
    const { issues } = await load({ feeds: `${FEEDS}  - id: wire\n    url: https://example.org/other.xml\n` });
    expect(issues[0]).toMatchObject({ line: 4, message: 'duplicate feed id "wire" (also item 1)' });
  });

  it('reports every problem in one run: a bad field does not hide a duplicate id or a query error', async () => {
    const feeds = `${FEEDS}    interval: 5 minutes\n  - id: wire\n    url: https://example.org/other.xml\n`;
    const rules = `rules:\n  - id: Bad Id\n    query: ukraine\n  - id: truce\n    query: '(truce'\n  - id: truce\n    query: truce\n`;
    const subs = `subscriptions:\n  - id: desk\n    email: not-an-address\n    rules: [ukraine-ceasfire]\n`;
    const { issues } = await load({ feeds, rules, subscriptions: subs });
    const found = issues.map((i) => `${i.file.replace(/.*\//, '')}:${i.line} ${i.message}`);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^feeds\.yaml:4 .*"5 minutes" is not a duration/),
        'feeds.yaml:5 duplicate feed id "wire" (also item 1)',
        expect.stringMatching(/^rules\.yaml:2 .*slug/),
        expect.stringMatching(/^rules\.yaml:5 rule "truce": unbalanced parenthesis/),
        'rules.yaml:6 duplicate rule id "truce" (also item 2)',
        expect.stringMatching(/^subscriptions\.yaml:3 .*email address/),
        expect.stringMatching(/^subscriptions\.yaml:4 subscription "desk" names rule "ukraine-ceasfire"/),
      ]),
    );
  });

  it('points at the opening quote of a value whose quote is never closed', async () => {
    const { issues } = await load({ rules: `rules:\n  - id: a\n    query: "ukraine ceasefire\n  - id: b\n    query: truce\n` });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ line: 3, column: 12, message: expect.stringContaining('quote is never closed') });
    expect(issues[0]?.hint).toContain(`'"peace talks" ukraine'`);
  });

  it('warns at a lower-case operator between words', async () => {
    const { config, issues } = await load({ rules: `rules:\n  - id: ukraine-ceasefire\n    query: ukraine or russia\n` });
    expect(config).toBeDefined();
    expect(issues).toEqual([expect.objectContaining({ severity: 'warning', line: 3, column: 20, message: expect.stringContaining('did you mean OR?') })]);
  });

  it('reads ${VAR} from the environment and reports a missing one', async () => {
    const subs = `subscriptions:\n  - id: hook\n    webhook: { url: "https://h.example.org/x", secret: "\${HOOK_SECRET}" }\n    rules: [ukraine-ceasefire]\n`;
    const ok = await load({ subscriptions: subs }, { HOOK_SECRET: 's3cret' });
    expect(ok.config?.subscriptions[0]?.webhook?.secret).toBe('s3cret');
    const missing = await load({ subscriptions: subs });
    expect(missing.issues[0]).toMatchObject({ line: 3, message: 'environment variable HOOK_SECRET is not set' });
  });

  it('requires exactly one target per subscription', async () => {
    const { issues } = await load({ subscriptions: `subscriptions:\n  - id: desk\n    rules: [ukraine-ceasefire]\n` });
    expect(issues[0]?.message).toContain('exactly one target');
    expect(issues[0]?.line).toBe(2);
  });

  it('points at the YAML syntax error', async () => {
    const { issues } = await load({ rules: `rules:\n  - id: x\n    query: "unclosed\n` });
    expect(issues[0]?.file).toMatch(/rules\.yaml$/);
    expect(issues[0]?.line).toBeGreaterThanOrEqual(3);
  });

  it('reports a list or map used as a key, at its position, without a warning on stderr', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const { config, issues } = await load({ feeds: `feeds:\n  - id: wire\n    url: https://example.org/feed.xml\n    ? [a, b]\n    : x\n` });
      expect(config).toBeUndefined();
      expect(issues.map(formatIssue).join('\n')).toContain('feeds.yaml:4:7: error: a list or map is used as a key here');
      await new Promise((r) => setImmediate(r));
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('reports an alias without its anchor, and aliases that expand too far, instead of throwing', async () => {
    const dangling = await load({ feeds: `feeds:\n  - id: wire\n    url: https://example.org/feed.xml\n    tags: *t\n` });
    expect(dangling.config).toBeUndefined();
    expect(dangling.issues.map(formatIssue).join('\n')).toContain('feeds.yaml:4:11: error: the alias *t has no anchor &t before it');
    const laughs = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdefg'[i]}`).join(', ')}]`)].join('\n');
    const bomb = await load({ feeds: `${laughs}\nfeeds:\n  - id: wire\n    url: https://example.org/feed.xml\n` });
    expect(bomb.config).toBeUndefined();
    expect(bomb.issues.map(formatIssue).join('\n')).toMatch(/feeds\.yaml:1:1: error: .*alias/i);
  });

  it('puts a caret under the column of a query syntax error', async () => {
    const { issues } = await load({ rules: `rules:\n  - id: ukraine-ceasefire\n    query: '(ukraine AND ceasefire'\n` });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ line: 3, severity: 'error' });
    expect(issues[0]?.message).toContain('rule "ukraine-ceasefire"');
    expect(issues[0]?.column).toBeGreaterThanOrEqual(12);
    expect(formatIssue(issues[0]!)).toMatch(/\n {2}\s*\^/);
  });

  it('reports a missing file with what to do', async () => {
    const dir = await writeConfig({ feeds: FEEDS, rules: RULES, subscriptions: SUBS });
    await rm(join(dir, 'rules.yaml'));
    const { config, issues } = await loadConfig(dir, {});
    expect(config).toBeUndefined();
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ message: 'file not found', severity: 'error' });
    expect(issues[0]?.file).toMatch(/rules\.yaml$/);
    expect(issues[0]?.hint).toContain('NEWSWATCH_CONFIG');
  });

  it('reports a config directory that is not there once, not once per file', async () => {
    const { config, issues } = await loadConfig('/nonexistent-newswatch-dir', {});
    expect(config).toBeUndefined();
    expect(issues).toEqual([expect.objectContaining({ file: '/nonexistent-newswatch-dir', message: 'config directory not found', severity: 'error' })]);
    expect(issues[0]?.hint).toContain('NEWSWATCH_CONFIG');
  });

  it('reports a file given as the config directory', async () => {
    const { issues } = await loadConfig(resolve('package.json'), {});
    expect(issues).toEqual([expect.objectContaining({ message: 'not a directory', severity: 'error' })]);
  });
});

describe('feedById', () => {
  const feed = (id: string, url: string) => ({ id, url }) as FeedConfig;

  it('finds a feed by its id, and none for an id no feed has', () => {
    const config = { feeds: [feed('kyiv', 'http://127.0.0.1/kyiv.xml'), feed('wire', 'http://127.0.0.1/wire.xml')] };
    expect(feedById(config, 'wire')?.url).toBe('http://127.0.0.1/wire.xml');
    expect(feedById(config, 'kyiv')?.url).toBe('http://127.0.0.1/kyiv.xml');
    expect(feedById(config, 'gone')).toBeUndefined();
  });

  it('reads a reloaded feeds list afresh', () => {
    const before = { feeds: [feed('wire', 'http://127.0.0.1/old.xml')] };
    expect(feedById(before, 'wire')?.url).toBe('http://127.0.0.1/old.xml');
    const after = { feeds: [feed('wire', 'http://127.0.0.1/new.xml'), feed('added', 'http://127.0.0.1/added.xml')] };
    expect(feedById(after, 'wire')?.url).toBe('http://127.0.0.1/new.xml');
    expect(feedById(after, 'added')).toBeDefined();
  });
});
