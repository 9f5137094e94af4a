// A feed without page fetch has its new items queued as batch jobs (one per poll, bounded in
// size), and a batch job that dies midway and runs again, or runs again after its work was done,
// still gives each alert, digest entry and alert-feed entry once. In a process that runs the
// article role the poll processes the batches itself: a poll killed before it remembers the items
// processes them again on its next run without a second alert, and a batch that fails in the
// poll is queued as a job, not lost and not held against the feed. Real Redis, SMTP and HTTP.

import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Job } from 'bullmq';
import { DigestStore } from '../../src/alerts/digest-store.js';
import { HealthStore } from '../../src/feeds/health.js';
import { PollState } from '../../src/feeds/poll-state.js';
import type { WorkerContext } from '../../src/queue/context.js';
import { ARTICLE_BATCH_MAX, isArticleBatch, type AlertsDelivery, type ArticleBatchJobData, type ArticleQueueData } from '../../src/queue/jobs.js';
import { processArticle } from '../../workers/article.js';
import type { Pipeline } from '../../workers/index.js';
import { processPoll } from '../../workers/poll.js';
import { rss, STORY_TOPICS, type FeedItem } from '../helpers/feeds.js';
import { waitFor } from '../helpers/cli.js';
import { startHttpServer, type TestServer } from '../helpers/http.js';
import { drain, testPipeline, writeConfig } from '../helpers/pipeline.js';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp.js';

const TOPICS = STORY_TOPICS.slice(0, 6);

const wire: FeedItem[] = [
  ...TOPICS.map((topic, i) => ({ guid: `story-${i}`, title: `Ceasefire watch ${i}: ${topic}`, link: `http://example.invalid/story-${i}`, description: `In Ukraine, ${topic} despite the ceasefire.` })),
  ...['markets', 'weather', 'football', 'theatre'].map((topic) => ({ guid: topic, title: `Today's ${topic}`, link: `http://example.invalid/${topic}`, description: `Nothing about the war: ${topic}.` })),
];
const big: FeedItem[] = Array.from({ length: 2 * ARTICLE_BATCH_MAX + 50 }, (_, i) => ({ guid: `b${i}`, title: `Item ${i}`, link: `http://example.invalid/b/${i}`, description: 'Text.' }));

let http: TestServer;
let smtp: TestSmtp;
let pipeline: Pipeline;
let ctx: WorkerContext;
let configDir: string;

beforeAll(async () => {
  http = await startHttpServer();
  smtp = await startSmtpServer();
  http.route('/wire.xml', (_req, res) => void res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss(wire)));
  http.route('/big.xml', (_req, res) => void res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss(big)));
  const dir = (configDir = await writeConfig({
    feeds: `feeds:\n  - { id: wire, url: "${http.url}/wire.xml" }\n  - { id: big, url: "${http.url}/big.xml" }\n`,
    rules: "rules:\n  - id: ceasefire\n    name: Ceasefire\n    query: 'ukraine AND ceasefire'\n",
    subscriptions: `subscriptions:
  - { id: desk, email: desk@example.org, rules: [ceasefire] }
  - { id: weekly, email: weekly@example.org, rules: [ceasefire], delivery: digest, digest: { cron: '0 7 * * 1' } }
`,
  }));
  pipeline = await testPipeline(dir, { smtpUrl: smtp.url });
  ctx = pipeline.ctx;
});

afterAll(async () => {
  await pipeline?.close();
  await smtp?.close();
  await http?.close();
});

const batchesOf = async (feedId: string, c = ctx) =>
  (await c.queues.article.getWaiting()).filter((j): j is Job<ArticleBatchJobData> => isArticleBatch(j.data) && j.data.articles[0]?.feed === feedId);

const subjectsOf = (messages: { subject?: string }[]) => messages.map((m) => m.subject).sort();
const expectedSubjects = TOPICS.map((t, i) => `Ceasefire: Ceasefire watch ${i}: ${t}`).sort();

/** The deliveries a pipeline has queued, sent; the subjects of what arrived. */
async function deliverAll(p: Pipeline): Promise<(string | undefined)[]> {
  const before = smtp.messages.length;
  p.runWorkers(['deliver']);
  await drain(p);
  await waitFor(() => smtp.messages.length >= before + TOPICS.length, 60_000, 'every alert');
  // Give a duplicate, if there were one, the time to arrive.
  await new Promise((r) => setTimeout(r, 1_000));
  return subjectsOf(smtp.messages.slice(before));
}

describe('article batches', { timeout: 120_000 }, () => {
  it('queues a poll of a feed without page fetch as batch jobs of at most ARTICLE_BATCH_MAX articles, every item in one', async () => {
    expect(await processPoll({ data: { feedId: 'big' } } as never, ctx)).toMatchObject({ status: 'ok', newItems: big.length });
    const batches = await batchesOf('big');
    expect(batches.map((j) => j.data.articles.length).sort((a, b) => b - a)).toEqual([ARTICLE_BATCH_MAX, ARTICLE_BATCH_MAX, 50]);
    expect(new Set(batches.flatMap((j) => j.data.articles.map((a) => a.id)))).toEqual(new Set(big.map((i) => i.guid)));
  });

  it('adds nothing when the feed is read again after its seen set was lost (a crash between queueing and remembering)', async () => {
    const before = (await batchesOf('big')).map((j) => j.id).sort();
    // Such a crash also comes before the poll saves the feed's validators and body digest (they
    // follow the seen set), so the next poll reads the same bytes again rather than stopping as
    // 'unchanged' (which it did whenever both polls fell in one second of the served dates).
    await ctx.redis.del(ctx.keys.seen('big'), ctx.keys.validators('big'));
    expect(await processPoll({ data: { feedId: 'big' } } as never, ctx)).toMatchObject({ status: 'ok', newItems: big.length });
    expect((await batchesOf('big')).map((j) => j.id).sort()).toEqual(before);
  });

  it('gives each alert, digest entry and alert-feed entry once when a batch dies midway and runs again, and again after it finished', async () => {
    await processPoll({ data: { feedId: 'wire' } } as never, ctx);
    const [job, ...more] = await batchesOf('wire');
    expect(more).toHaveLength(0);
    expect(job!.data.articles).toHaveLength(wire.length);

    // The worker dies as it adds the third digest entry: every story is assigned, every
    // alert-feed entry written (they go for the whole batch at once), two digest entries added,
    // no delivery queued.
    const feedOf = (kind: 'subscription' | 'rule', id: string) => ctx.redis.zcard(ctx.keys.alertFeedOrder(kind, id));
    const digests = () => new DigestStore(ctx.redis, ctx.keys, ctx.settings.dedupWindowMs).peek('weekly');
    const add = DigestStore.prototype.add;
    let added = 0;
    const dying = vi.spyOn(DigestStore.prototype, 'add').mockImplementation(function (this: DigestStore, ...args: Parameters<DigestStore['add']>) {
      if (++added === 3) throw new Error('killed');
      return add.apply(this, args);
    });
    await expect(processArticle(job as Job<ArticleQueueData>, ctx)).rejects.toThrow('killed');
    dying.mockRestore();
    expect(await feedOf('subscription', 'desk')).toBe(TOPICS.length);
    expect(await digests()).toHaveLength(2);
    expect(await ctx.queues.deliver.getWaitingCount()).toBe(0);

    // Another worker takes the job over and runs it whole; then it runs once more, as when a
    // worker is killed after the work but before the job was marked completed.
    expect(await processArticle(job as Job<ArticleQueueData>, ctx)).toMatchObject({ articles: wire.length, matched: TOPICS.length, alerts: TOPICS.length });
    expect(await processArticle(job as Job<ArticleQueueData>, ctx)).toMatchObject({ articles: wire.length, matched: TOPICS.length });
    // One delivery for the subscription, holding its alerts of the batch in order.
    const [delivery, ...others] = await ctx.queues.deliver.getWaiting();
    expect(others).toHaveLength(0);
    expect((delivery!.data as AlertsDelivery).items.map((a) => a.article.title)).toEqual(TOPICS.map((t, i) => `Ceasefire watch ${i}: ${t}`));
    expect(await feedOf('subscription', 'desk')).toBe(TOPICS.length);
    expect(await feedOf('subscription', 'weekly')).toBe(TOPICS.length);
    expect(await feedOf('rule', 'ceasefire')).toBe(TOPICS.length);
    const digest = await digests();
    expect(digest.map((e) => e.article.title).sort()).toEqual(TOPICS.map((t, i) => `Ceasefire watch ${i}: ${t}`).sort());

    await ctx.queues.article.drain();
    pipeline.runWorkers(['deliver']);
    await drain(pipeline);
    await waitFor(() => smtp.messages.length >= TOPICS.length, 60_000, 'every alert');
    // Give a duplicate, if there were one, the time to arrive.
    await new Promise((r) => setTimeout(r, 1_000));
    const subjects = smtp.messages.map((m) => m.subject).sort();
    expect(subjects).toEqual(TOPICS.map((t, i) => `Ceasefire: Ceasefire watch ${i}: ${t}`).sort());
  });
});

describe('a poll in a process that runs the article role', { timeout: 120_000 }, () => {
  // A fresh install (key prefix) per test, on the same feeds: each test's stories are new to it.
  let inline: Pipeline;
  afterEach(async () => {
    vi.restoreAllMocks();
    await inline?.close();
  });
  const poll = () => processPoll({ data: { feedId: 'wire' } } as never, inline.ctx);
  const digests = () => new DigestStore(inline.ctx.redis, inline.ctx.keys, inline.ctx.settings.dedupWindowMs).peek('weekly');
  const feedOf = (kind: 'subscription' | 'rule', id: string) => inline.ctx.redis.zcard(inline.ctx.keys.alertFeedOrder(kind, id));

  it('processes the new items itself, queueing no article job; killed before remembering them, its next run gives no second alert', async () => {
    inline = await testPipeline(configDir, { smtpUrl: smtp.url });
    inline.ctx.processesArticles = true;

    // The poll dies after processing its items, before its last writes (the items remembered first).
    const remember = vi.spyOn(PollState.prototype, 'finish').mockRejectedValueOnce(new Error('killed'));
    await expect(poll()).rejects.toThrow('killed');
    remember.mockRestore();
    expect(await inline.ctx.queues.article.count()).toBe(0);
    // One delivery for the subscription, holding its alerts of the batch.
    expect(await inline.ctx.queues.deliver.getWaitingCount()).toBe(1);

    // The next poll reads them as new and processes them again: every step finds its work done.
    expect(await poll()).toMatchObject({ status: 'ok', newItems: wire.length, processed: { articles: wire.length, matched: TOPICS.length, digests: 0 } });
    expect(await inline.ctx.queues.deliver.getWaitingCount()).toBe(1);
    expect(await feedOf('subscription', 'desk')).toBe(TOPICS.length);
    expect(await feedOf('rule', 'ceasefire')).toBe(TOPICS.length);
    expect(await digests()).toHaveLength(TOPICS.length);
    // Nothing new (the feed's pubDates are the time served: within a second the same bytes, read as unchanged).
    expect(await poll()).toMatchObject({ status: expect.stringMatching(/^(ok|unchanged)$/), newItems: 0 });
    expect(await inline.ctx.queues.article.count()).toBe(0);

    expect(await deliverAll(inline)).toEqual(expectedSubjects);
  });

  it('queues a batch that fails in the poll as an article job, with nothing lost and no failure counted against the feed', async () => {
    inline = await testPipeline(configDir, { smtpUrl: smtp.url });
    inline.ctx.processesArticles = true;

    // Redis is lost as the third digest entry is added: stories and alert-feed entries are written.
    const add = DigestStore.prototype.add;
    let added = 0;
    vi.spyOn(DigestStore.prototype, 'add').mockImplementation(function (this: DigestStore, ...args: Parameters<DigestStore['add']>) {
      if (++added === 3) throw new Error('Connection is closed.');
      return add.apply(this, args);
    });
    expect(await poll()).toMatchObject({ status: 'ok', newItems: wire.length, processed: { articles: 0 } });
    vi.restoreAllMocks();
    expect(await new HealthStore(inline.ctx.redis, inline.ctx.keys).get('wire')).toMatchObject({ consecutiveFailures: 0 });
    const [job, ...more] = await batchesOf('wire', inline.ctx);
    expect(more).toHaveLength(0);
    expect(job!.data.articles).toHaveLength(wire.length);
    // The items are remembered: the job has them now (the same bytes within a second: unchanged).
    expect(await poll()).toMatchObject({ status: expect.stringMatching(/^(ok|unchanged)$/), newItems: 0 });

    expect(await processArticle(job as Job<ArticleQueueData>, inline.ctx)).toMatchObject({ articles: wire.length, matched: TOPICS.length, alerts: TOPICS.length });
    expect(await feedOf('subscription', 'desk')).toBe(TOPICS.length);
    expect((await digests()).map((e) => e.article.title).sort()).toEqual(TOPICS.map((t, i) => `Ceasefire watch ${i}: ${t}`).sort());
    await inline.ctx.queues.article.drain();
    expect(await deliverAll(inline)).toEqual(expectedSubjects);
  });
});
