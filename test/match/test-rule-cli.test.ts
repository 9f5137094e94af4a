// `newswatch test-rule`, run as the real command against feeds and article pages served on
// 127.0.0.1: per item, whether the rule matches and why; no Redis, nothing sent.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { rss } from '../helpers/feeds.js';
import { serve, startHttpServer, type TestServer } from '../helpers/http.js';
import { writeConfig } from '../helpers/pipeline.js';

const RULES = `rules:
  - id: ukraine-ceasefire
    name: Ukraine ceasefire talks
    query: '(ukraine OR kyiv) AND (ceasefire OR truce OR "peace talks") -football'
  - id: grain
    query: 'grain NEAR/3 corridor'
  - id: ukraine-energy-attacks
    query: 'ukraine NEAR/5 (power OR energy)'
`;
const SUBS = 'subscriptions:\n  - { id: desk, email: desk@example.org, rules: [ukraine-ceasefire], keywords: "black sea" }\n';

let http: TestServer;
let config: string;

beforeAll(async () => {
  http = await startHttpServer();
  http.route(
    '/wire.xml',
    serve(
      rss([
        // HTML that only cheerio reads (a table): the command loads it first (src/feeds/html-dom.ts).
        { guid: 'a', title: 'Kyiv ready for truce talks', link: `http://127.0.0.1/a`, description: '<table><tr><td>Ukraine says a truce is possible.</td></tr></table>' },
        { guid: 'b', title: 'Kyiv football derby ends in a truce', link: 'http://127.0.0.1/b', description: 'A draw.' },
        { guid: 'c', title: 'Markets rally', link: 'http://127.0.0.1/c', description: 'Stocks rose.' },
      ]),
      'application/rss+xml',
    ),
  );
  http.route('/teasers.xml', serve(rss([{ guid: 'p', title: 'Shipping news', link: `${http.url}/page`, description: 'Read more.' }]), 'application/rss+xml'));
  const para = 'The grain export corridor through the Black Sea reopened on Monday, officials in Odesa said, after weeks of talks.';
  http.route('/page', serve(`<!doctype html><html><body><article><h1>Shipping news</h1><p>${para}</p><p>${para}</p><p>${para}</p></article></body></html>`, 'text/html'));
  config = await writeConfig({
    feeds: `feeds:\n  - { id: wire, url: "${http.url}/wire.xml" }\n  - { id: teasers, url: "${http.url}/teasers.xml", fetchArticle: true, tags: [shipping] }\n`,
    rules: RULES,
    subscriptions: SUBS,
  });
});

afterAll(async () => http.close());

// No REDIS_URL and no SMTP_URL: the command must not need either.
const run = (...args: string[]) => runCli(['--config', config, 'test-rule', ...args], {});

// Each test runs up to four CLI processes, each compiling the sources through tsx: on a busy
// machine that takes longer than vitest's default.
describe('newswatch test-rule', { timeout: 120_000 }, () => {
  it('shows per item whether the rule matches, the hits in context, and the clauses that fail', async () => {
    const r = await run('ukraine-ceasefire', '--feed', `${http.url}/wire.xml`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Rule ukraine-ceasefire (Ukraine ceasefire talks)');
    expect(r.stdout).toContain('3 items, 1 match');
    const blocks = r.stdout.split(/\n(?=MATCH|no {3})/);
    const block = (title: string) => blocks.find((b) => b.includes(title)) ?? '';
    expect(block('Kyiv ready for truce talks')).toMatch(/^MATCH/);
    expect(block('Kyiv ready for truce talks')).toMatch(/kyiv\s+title\s+\[Kyiv\] ready for truce talks/);
    expect(block('Kyiv football derby')).toMatch(/^no/);
    expect(block('Kyiv football derby')).toContain('excluded by: -football');
    expect(block('Markets rally')).toContain('missing: (ukraine OR kyiv)');
    expect(block('Markets rally')).toContain('missing: (ceasefire OR truce OR "peace talks")');
  });

  it('tries a --query not yet in rules.yaml and prints JSON Lines with --json', async () => {
    const r = await run('--query', 'truce -kyiv', '--feed', `${http.url}/wire.xml`, '--json');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { item: string; title: string; matched: boolean; hits: { field: string; start: number; end: number }[]; unmet: unknown[] });
    expect(lines.map((l) => [l.item, l.matched])).toEqual([
      ['a', false],
      ['b', false],
      ['c', false],
    ]);
    expect(lines[0]!.unmet).toEqual([{ part: 'query', clause: '-kyiv', kind: 'excluded' }]);
    const all = await run('--query', 'truce', '--feed', `${http.url}/wire.xml`, '--json');
    const first = JSON.parse(all.stdout.split('\n')[0]!) as (typeof lines)[number];
    expect(first.matched).toBe(true);
    const titleHit = first.hits.find((h) => h.field === 'title')!;
    expect(first.title.slice(titleHit.start, titleHit.end)).toBe('truce');
  });

  it('takes a feed id from feeds.yaml: its tags count for feed:, and fetchArticle pages are read', async () => {
    const r = await run('grain', '--feed', 'teasers');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1 items, 1 match');
    expect(r.stdout).toMatch(/grain\s+content\s+.*\[grain\] export corridor/);
    expect(http.requests.some((q) => q.path === '/page')).toBe(true);
    const tagged = await run('--query', 'feed:shipping', '--feed', 'teasers', '--json');
    expect((JSON.parse(tagged.stdout) as { matched: boolean }).matched).toBe(true);
    // A subscription's keywords: are a rule too, found by the subscription id.
    const keywords = await run('desk', '--feed', 'teasers');
    expect(keywords.stdout).toContain('MATCH  Shipping news');
  });

  it('without the page, the same item matches on the feed text only', async () => {
    const r = await run('grain', '--feed', `${http.url}/teasers.xml`);
    expect(r.stdout).toContain('1 items, 0 match');
    expect(r.stdout).toContain('no     Shipping news');
    // The rule is one clause: "missing: grain NEAR/3 corridor" would only repeat the "no".
    expect(r.stdout).not.toContain('missing:');
    const json = await run('grain', '--feed', `${http.url}/teasers.xml`, '--json');
    expect((JSON.parse(json.stdout) as { unmet: unknown }).unmet).toEqual([{ part: 'query', clause: 'grain NEAR/3 corridor', kind: 'missing' }]);
    // --fetch-articles reads the pages of any feed, as fetchArticle: true does.
    const fetched = await run('grain', '--feed', `${http.url}/teasers.xml`, '--fetch-articles');
    expect(fetched.stdout).toContain('1 items, 1 match');
  });

  it('suggests the rule whose words were typed, and nothing when no rule is close', async () => {
    // Not ukraine-ceasefire, which is nearer in characters.
    const words = await run('ukraine-enrgy', '--feed', `${http.url}/wire.xml`);
    expect(words.code).toBe(2);
    expect(words.stderr).toContain('did you mean "ukraine-energy-attacks"?');
    const far = await run('elections', '--feed', `${http.url}/wire.xml`);
    expect(far.stderr).toContain('no rule "elections"');
    expect(far.stderr).not.toContain('did you mean');
  });

  it('names an unknown rule with a suggestion, and points at a query that does not parse', async () => {
    const unknown = await run('ukraine-cesefire', '--feed', `${http.url}/wire.xml`);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no rule "ukraine-cesefire"');
    expect(unknown.stderr).toContain('did you mean "ukraine-ceasefire"?');
    const bad = await run('--query', 'ukraine (truce', '--feed', `${http.url}/wire.xml`);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unbalanced parenthesis');
    expect(bad.stderr).toContain('  ukraine (truce\n          ^');
    const noFeed = await run('--query', 'truce', '--feed', 'nosuchfeed');
    expect(noFeed.code).toBe(2);
    expect(noFeed.stderr).toContain('--feed "nosuchfeed" is not a URL, a file or a feed id in feeds.yaml');
    const both = await run('grain', '--query', 'truce', '--feed', 'wire');
    expect(both.code).toBe(2);
  });
});
