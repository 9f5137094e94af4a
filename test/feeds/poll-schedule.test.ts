// Feed schedulers at scale: new ones spread their first polls over the interval (a stable point
// per feed), a sync with nothing changed writes nothing and moves no next run, a changed interval
// is written, and removed feeds lose their scheduler. Real Redis and BullMQ schedulers.

import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigOrThrow } from '../../src/config/load.js';
import { FIRST_POLLS_PER_SECOND, firstPollDelay } from '../../src/feeds/poll-schedule.js';
import type { Pipeline } from '../../workers/index.js';
import { testPipeline, writeConfig } from '../helpers/pipeline.js';

const MIN = 60_000;
const RULES = "rules:\n  - id: never\n    query: 'zzzunmatchablezzz'\n";
const SUBS = 'subscriptions:\n  - { id: desk, email: desk@example.org, rules: [never] }\n';

const open: Pipeline[] = [];
afterEach(async () => {
  while (open.length) await open.pop()?.close();
});

const feedsYaml = (ids: string[], interval: string) => `feeds:\n${ids.map((id) => `  - { id: ${id}, url: "http://127.0.0.1:9/${id}.xml", interval: ${interval} }\n`).join('')}`;

async function pipelineWith(feeds: string): Promise<Pipeline> {
  const pipeline = await testPipeline(await writeConfig({ feeds, rules: RULES, subscriptions: SUBS }));
  open.push(pipeline);
  return pipeline;
}

async function nextRuns(pipeline: Pipeline): Promise<Map<string, number>> {
  return new Map((await pipeline.ctx.queues.poll.getJobSchedulers(0, -1)).map((s) => [s.key, s.next ?? NaN]));
}

describe('firstPollDelay', () => {
  it('gives a feed the same delay every time, within one second per 20 new feeds and at most the interval', () => {
    expect(firstPollDelay('wire', 5 * MIN, 1000)).toBe(firstPollDelay('wire', 5 * MIN, 1000));
    expect(firstPollDelay('wire', 5 * MIN, 1)).toBeLessThan(1000 / FIRST_POLLS_PER_SECOND);
    const delays = Array.from({ length: 10_000 }, (_, i) => firstPollDelay(`f${i}`, 5 * MIN, 10_000));
    expect(Math.max(...delays)).toBeLessThan(5 * MIN);
    // Spread evenly: each tenth of the interval holds about a tenth of the feeds.
    const tenths = Array.from({ length: 10 }, (_, k) => delays.filter((d) => Math.floor(d / 30_000) === k).length);
    for (const n of tenths) expect(n).toBeGreaterThan(800);
  });
});

describe('feed schedulers', () => {
  it('spread the first polls of many new feeds over their interval', async () => {
    const ids = Array.from({ length: 200 }, (_, i) => `f${i}`);
    const pipeline = await pipelineWith(feedsYaml(ids, '5m'));
    const before = Date.now();
    expect((await pipeline.syncSchedulers()).upserted).toBe(200);
    const next = [...(await nextRuns(pipeline)).values()].map((t) => t - before);
    expect(next).toHaveLength(200);
    // 200 new feeds at 20 a second: over about 10 s, not all at once.
    const firstSecond = next.filter((d) => d < 1_000).length;
    expect(firstSecond).toBeLessThan(60);
    expect(Math.max(...next)).toBeGreaterThan(5_000);
    expect(Math.max(...next)).toBeLessThan(10_000 + 5_000);
  });

  it('write nothing and keep every next run when nothing changed; write a changed interval; remove a removed feed', async () => {
    const pipeline = await pipelineWith(feedsYaml(['a', 'b', 'c'], '1h'));
    await pipeline.syncSchedulers();
    const first = await nextRuns(pipeline);

    expect(await pipeline.syncSchedulers()).toEqual({ upserted: 0, removed: [] });
    expect(await nextRuns(pipeline)).toEqual(first);

    // Feed b now every 2h, feed c gone: one written, one removed, a's next run untouched.
    const edited = await writeConfig({ feeds: `feeds:\n  - { id: a, url: "http://127.0.0.1:9/a.xml", interval: 1h }\n  - { id: b, url: "http://127.0.0.1:9/b.xml", interval: 2h }\n`, rules: RULES, subscriptions: SUBS });
    pipeline.reload(await loadConfigOrThrow(edited, {}), pipeline.ctx.settings);
    expect(await pipeline.syncSchedulers()).toEqual({ upserted: 1, removed: ['feed-c'] });
    const after = await nextRuns(pipeline);
    expect([...after.keys()].sort()).toEqual(['feed-a', 'feed-b']);
    expect(after.get('feed-a')).toBe(first.get('feed-a'));
    expect((await pipeline.ctx.queues.poll.getJobScheduler('feed-b'))?.every).toBe(2 * 60 * MIN);
  });
});
