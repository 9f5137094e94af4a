// The article worker keeps every article it sees, matched or not, among the recent articles, and
// `newswatch test-rule --recent` tries a query on them from the same Redis.

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RecentArticles } from '../../src/feeds/recent-articles.js';
import type { Pipeline } from '../../workers/index.js';
import { runCli } from '../helpers/cli.js';
import { rss } from '../helpers/feeds.js';
import { serve, startHttpServer, type TestServer } from '../helpers/http.js';
import { pollAllAndDrain, testPipeline, writeConfig } from '../helpers/pipeline.js';

let http: TestServer;
let pipeline: Pipeline;
let config: string;

beforeAll(async () => {
  http = await startHttpServer();
  http.route(
    '/wire.xml',
    serve(
      rss([
        { guid: 'a', title: 'Kyiv ready for truce talks', link: `${http.url}/a`, description: 'Ukraine says a truce is possible.' },
        { guid: 'b', title: 'Markets rally', link: `${http.url}/b`, description: 'Stocks rose.' },
      ]),
      'application/rss+xml',
    ),
  );
  config = await writeConfig({
    feeds: `feeds:\n  - { id: wire, url: "${http.url}/wire.xml", tags: [world] }\n`,
    rules: "rules:\n  - { id: markets, query: 'stocks' }\n",
    subscriptions: 'subscriptions: []\n',
  });
  pipeline = await testPipeline(config);
  pipeline.runWorkers();
  await pollAllAndDrain(pipeline);
});

afterAll(async () => {
  await pipeline.close();
  await http.close();
});

describe('recent articles', { timeout: 120_000 }, () => {
  it('are kept by the article worker, matched or not, with their feed tags', async () => {
    const { ctx } = pipeline;
    const kept = await new RecentArticles(ctx.redis, ctx.keys, ctx.settings.recent).since();
    expect(kept.map((a) => a.title).sort()).toEqual(['Kyiv ready for truce talks', 'Markets rally']);
    expect(kept.every((a) => a.feed === 'wire' && a.feedTags?.[0] === 'world')).toBe(true);
  });

  it('are what test-rule --recent tries a query on', async () => {
    const env = { REDIS_URL: inject('redisUrl'), NEWSWATCH_PREFIX: pipeline.ctx.settings.prefix };
    const run = await runCli(['--config', config, 'test-rule', '--query', 'truce AND feed:world', '--recent'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Recent articles kept in Redis: 2 items, 1 match');
    expect(run.stdout).toMatch(/MATCH {2}Kyiv ready for truce talks/);
    expect(run.stdout).toContain('[truce]');

    const json = await runCli(['--config', config, 'test-rule', '--query', 'truce', '--recent', '--json'], env);
    const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { title: string; matched: boolean });
    expect(lines.map((l) => [l.title, l.matched]).sort()).toEqual([
      ['Kyiv ready for truce talks', true],
      ['Markets rally', false],
    ]);
  });

  it('says what to give when neither --feed nor --recent is there, or both', async () => {
    const none = await runCli(['--config', config, 'test-rule', '--query', 'truce'], {});
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('test-rule needs --feed URL|FILE|FEED_ID (the feed whose items the rule is tried on) or --recent');
    const both = await runCli(['--config', config, 'test-rule', '--query', 'truce', '--recent', '--feed', 'wire'], {});
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give test-rule either --feed or --recent, not both');
  });
});
