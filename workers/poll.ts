// Poll one feed: fetch (conditional GET), parse, normalise, queue an article job per new item,
// then remember the items. A failure is recorded in the feed's health and rethrown so BullMQ
// retries with backoff; other feeds are unaffected.

import type { Job } from 'bullmq';
import { decodeBody } from '../src/feeds/charset.js';
import { FetchError, fetchUrl } from '../src/feeds/fetch.js';
import { HealthStore } from '../src/feeds/health.js';
import { normaliseFeed } from '../src/feeds/normalise.js';
import { parseFeed } from '../src/feeds/parse.js';
import { SeenStore } from '../src/feeds/seen.js';
import type { WorkerContext } from '../src/queue/context.js';
import { articleJobId, type PollJobData } from '../src/queue/jobs.js';

export interface PollResult {
  feedId: string;
  status: 'ok' | 'not-modified' | 'unknown-feed';
  itemsInFeed: number;
  newItems: number;
  skippedOld: number;
}

export async function processPoll(job: Job<PollJobData>, ctx: WorkerContext): Promise<PollResult> {
  const { feedId } = job.data;
  const feed = ctx.config.feeds.find((f) => f.id === feedId);
  const empty = { feedId, itemsInFeed: 0, newItems: 0, skippedOld: 0 };
  if (!feed) {
    ctx.log.warn({ feedId }, 'poll for a feed that is no longer configured; skipped');
    return { ...empty, status: 'unknown-feed' };
  }
  const health = new HealthStore(ctx.redis, ctx.settings.prefix);
  const seen = new SeenStore(ctx.redis, ctx.settings.prefix);
  const validatorsKey = `${ctx.settings.prefix}:validators:${feed.id}`;

  try {
    const validators = await ctx.redis.hgetall(validatorsKey);
    const response = await fetchUrl(feed.url, {
      userAgent: ctx.settings.userAgent,
      timeoutMs: ctx.settings.feedTimeoutMs,
      maxBytes: ctx.settings.feedMaxBytes,
      accept: 'application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, */*;q=0.8',
      etag: validators.etag,
      lastModified: validators.lastModified,
    });
    if (response.notModified) {
      await health.recordSuccess(feed.id, { status: 304, itemsInFeed: 0, newItems: 0 });
      return { ...empty, status: 'not-modified' };
    }
    const parsed = await parseFeed(decodeBody(response.body, response.headers.get('content-type')), feed.url);
    const articles = normaliseFeed(parsed, feed);
    const firstPoll = await seen.isEmpty(feed.id);
    const newIds = new Set(await seen.filterNew(feed.id, articles.map((a) => a.id)));
    const cutoff = Date.now() - ctx.settings.firstPollMaxAgeMs;
    const fresh = articles.filter((a) => newIds.has(a.id));
    const toQueue = firstPoll ? fresh.filter((a) => Date.parse(a.published ?? '') >= cutoff) : fresh;

    await ctx.queues.article.addBulk(
      toQueue.map((article) => ({ name: 'article', data: { article }, opts: { jobId: articleJobId(article) } })),
    );
    // Remember every item in the feed (refreshing old ones) only after their jobs are queued.
    await seen.remember(feed.id, articles.map((a) => a.id));
    if (response.etag || response.lastModified) {
      await ctx.redis.hset(validatorsKey, { etag: response.etag ?? '', lastModified: response.lastModified ?? '' });
    }
    await health.recordSuccess(feed.id, { status: response.status, itemsInFeed: articles.length, newItems: toQueue.length });
    ctx.log.info({ feedId, items: articles.length, queued: toQueue.length }, 'feed polled');
    return { feedId, status: 'ok', itemsInFeed: articles.length, newItems: toQueue.length, skippedOld: fresh.length - toQueue.length };
  } catch (err) {
    const e = err instanceof FetchError ? err : new FetchError('network', (err as Error).message);
    const failures = await health.recordFailure(feed.id, { status: e.status, errorClass: e.errorClass, error: e.message });
    ctx.log.warn({ feedId, errorClass: e.errorClass, failures, err: e.message }, 'feed poll failed; will retry');
    throw e;
  }
}
