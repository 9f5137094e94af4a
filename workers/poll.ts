// Poll one feed: skip it while it is backed off or while another poll of it runs (poll-lock.ts),
// fetch it (conditional GET, per-host limits), parse, normalise, hand the new items on (a job per
// item when the feed fetches article pages; else batches of items, processed right here when
// this process runs the article role, queued as jobs when it does not), then remember the
// items. A 304 stops right after the fetch, and so does a 200 whose body is byte for byte the
// last one read (validators.ts: many servers send no validators, or ignore them). A
// failure is recorded in the feed's health with the time of the next try (Retry-After, else
// exponential backoff) and rethrown; other feeds are unaffected. A feed failing for longer than
// polling.flagAfter is flagged and the operator told once (and once more when it recovers;
// src/alerts/operator-notice.ts).

import type { Job } from 'bullmq';
import { feedById } from '../src/config/load.js';
import { hasOperator, queueOperatorNotices, type NoticeFacts } from '../src/alerts/operator-notice.js';
import type { FeedConfig } from '../src/config/schema.js';
import { isFlagged, nextPollAfterFailure, nextPollAfterSuccess, shouldSkipPoll } from '../src/feeds/backoff.js';
import { FetchError, fetchUrl } from '../src/feeds/fetch.js';
import { withoutHtml, type Article } from '../src/feeds/article.js';
import { HealthStore } from '../src/feeds/health.js';
import { hostLimiter } from '../src/feeds/host-limiter.js';
import { pollLockMs } from '../src/feeds/poll-lock.js';
import { PollState, type PollEnd, type PollStart } from '../src/feeds/poll-state.js';
import { bodyDigest } from '../src/feeds/validators.js';
import type { WorkerContext } from '../src/queue/context.js';
import { articleBatchJobId, articleBatches, articleJobId, onceWithin, type PollJobData } from '../src/queue/jobs.js';
import { processBatch, type BatchResult } from './article.js';

export interface PollResult {
  feedId: string;
  /** not-modified: a 304; unchanged: a 200 with the same body as the last one read (neither is parsed). */
  status: 'ok' | 'not-modified' | 'unchanged' | 'deferred' | 'unknown-feed';
  itemsInFeed: number;
  newItems: number;
  skippedOld: number;
  /** Items of the last read, only identified by the parsing thread (remembered, so not new). */
  itemsKnown?: number;
  /** For "deferred": when the feed will be polled again (ISO 8601). */
  nextPollAt?: string;
  /**
   * What the poll processed itself (a feed without page fetch, in a process that runs the article
   * role); absent when its new items were queued as article jobs, or it had none to hand on.
   */
  processed?: BatchResult;
}

const FEED_ACCEPT = 'application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, */*;q=0.8';

/** The counts of a poll that read no items (skipped, deferred, 304, unchanged, or a feed no longer configured). */
const noItems = (feedId: string) => ({ feedId, itemsInFeed: 0, newItems: 0, skippedOld: 0 });

export async function processPoll(job: Job<PollJobData>, ctx: WorkerContext): Promise<PollResult> {
  const { feedId } = job.data;
  const feed = feedById(ctx.config, feedId);
  const empty = noItems(feedId);
  if (!feed) {
    ctx.log.warn({ feedId }, 'poll for a feed that is no longer configured; skipped');
    ctx.metrics.polls.inc({ outcome: 'unknown_feed' });
    return { ...empty, status: 'unknown-feed' };
  }
  // A scheduled poll that finds the last one still running (it took longer than the interval)
  // is skipped: it would fetch the same feed again, or a failing feed again before its backoff
  // is recorded. Any other poll (run-once, a test) waits its turn, as it is someone's own poll.
  // The lock, with the feed's health, validators and last items read in the same round trip.
  const state = new PollState(ctx.redis, ctx.keys, ctx.settings.seenRetentionMs);
  const lockMs = pollLockMs(ctx.settings);
  const start = await state.start(feed.id, lockMs, job.repeatJobKey === undefined ? lockMs : 0);
  if (start === undefined) {
    ctx.log.debug({ feedId }, 'a poll of this feed is still running; this one skipped');
    ctx.metrics.polls.inc({ outcome: 'deferred' });
    return { ...empty, status: 'deferred' };
  }
  const held: Held = { ...start, finished: false };
  try {
    return await pollHeld(job, ctx, feed, state, held);
  } finally {
    // A poll that read its feed gave the lock back with its last writes (finish). Should Redis
    // fail here, the lock expires on its own; the poll's outcome stands.
    if (!held.finished) await state.release(feed.id, held.token).catch((err: Error) => ctx.log.warn({ feedId, err: err.message }, 'could not release the poll lock; it expires on its own'));
  }
}

/** A poll's start, and whether its finish has given the lock back. */
interface Held extends PollStart {
  finished: boolean;
}

/** The poll itself, while it holds its feed's lock. */
async function pollHeld(job: Job<PollJobData>, ctx: WorkerContext, feed: FeedConfig, state: PollState, held: Held): Promise<PollResult> {
  const { feedId } = job.data;
  const empty = noItems(feedId);
  const { settings } = ctx;
  const health = new HealthStore(ctx.redis, ctx.keys);
  const limiter = hostLimiter(ctx.redis, ctx.keys, settings);
  // The poll's last writes, and the lock given back, in one round trip (poll-state.ts).
  const finish = async (end: PollEnd) => {
    const recovered = await state.finish(feed.id, held.token, end);
    held.finished = true;
    return recovered;
  };

  const started = Date.now();
  const { nextPoll } = held.health;
  if (shouldSkipPoll(nextPoll, started, job.repeatJobKey !== undefined, feed.interval)) {
    const nextPollAt = new Date(nextPoll?.at ?? started).toISOString();
    ctx.log.debug({ feedId, nextPollAt, reason: nextPoll?.reason }, 'feed backed off; poll skipped');
    ctx.metrics.polls.inc({ outcome: 'deferred' });
    return { ...empty, status: 'deferred', nextPollAt };
  }

  try {
    const { digest: lastDigest, ...validators } = held.marks;
    const response = await ctx.metrics.timeFetch('feed', () => fetchUrl(feed.url, {
      userAgent: settings.userAgent,
      timeoutMs: settings.feedTimeoutMs,
      connectTimeoutMs: settings.connectTimeoutMs,
      maxBytes: settings.feedMaxBytes,
      maxRedirects: settings.maxRedirects,
      accept: FEED_ACCEPT,
      gate: limiter.gate,
      ...validators,
    }));
    const next = nextPollAfterSuccess(Date.now(), feed.interval);
    if (response.movedTo) ctx.log.warn({ feedId, movedTo: response.movedTo }, 'feed moved permanently; update its url in feeds.yaml');
    if (response.notModified) {
      // Nothing changed: no parsing, no queueing, the seen set and item counts stay as they are.
      await tellIfRecovered(ctx, feed, await finish({ success: { status: 304, newItems: 0, next, movedTo: response.movedTo } }));
      ctx.metrics.polls.inc({ outcome: 'not_modified' });
      return { ...empty, status: 'not-modified' };
    }
    const identity = feed.identity ?? settings.itemIdentity;
    // Before the bytes go to the sandbox thread (which takes them over).
    const digest = bodyDigest(response.body, identity);
    if (digest === lastDigest) {
      // The same bytes as the last poll read: the same items, so it ends as a 304 does.
      const changed = response.etag !== validators.etag || response.lastModified !== validators.lastModified;
      const marks = changed ? { etag: response.etag, lastModified: response.lastModified, digest } : undefined;
      await tellIfRecovered(ctx, feed, await finish({ marks, success: { status: response.status, newItems: 0, next, movedTo: response.movedTo } }));
      ctx.metrics.polls.inc({ outcome: 'unchanged' });
      return { ...empty, status: 'unchanged' };
    }
    // The items of the last read (read with the lock): remembered, so not new (this poll holds
    // the feed's lock, so none is forgotten meanwhile); the thread only identifies them. None:
    // the feed's first poll.
    const { known } = held;
    const firstPoll = known.length === 0;
    // Decoded, parsed and normalised in a sandbox thread: a feed is text from strangers too.
    // Without the content HTML: the queued article carries none (withoutHtml).
    const { items: read, knownIds, repeatedIds } = await ctx.sandbox.parseFeed(response.body, response.url, {
      id: feed.id,
      url: response.url,
      identity,
    }, { html: false, known }, response.headers.get('content-type'));
    if (repeatedIds > 0) {
      const fix = identity === 'guid' ? 'if they are different articles, set `identity: link` for this feed in feeds.yaml' : 'they share a link too';
      ctx.log.warn({ feedId, repeatedIds, identity }, `feed items repeat another item's ${identity}; ${repeatedIds} dropped (${fix})`);
    }
    const newIds = new Set(await state.filterNew(feed.id, read.map((a) => a.id)));
    const cutoff = Date.now() - settings.firstPollMaxAgeMs;
    const fresh = read.filter((a) => newIds.has(a.id));
    const toQueue = firstPoll ? fresh.filter((a) => Date.parse(a.published ?? '') >= cutoff) : fresh;

    const processed = await handOnNew(feed, toQueue, ctx);
    // Remember every item in the feed (refreshing old ones) only after the new ones are safe:
    // processed, or queued as jobs. A poll killed before this line reads them again as new.
    const ids = read.map((a) => a.id).concat(knownIds);
    const recovered = await finish({
      remember: ids,
      marks: { etag: response.etag, lastModified: response.lastModified, digest },
      success: { status: response.status, itemsInFeed: ids.length, newItems: toQueue.length, next, movedTo: response.movedTo, repeatedIds },
    });
    await tellIfRecovered(ctx, feed, recovered);
    const processedHere = processed?.articles ?? 0;
    ctx.log.info({ feedId, items: ids.length, queued: toQueue.length - processedHere, processed: processedHere }, 'feed polled');
    ctx.metrics.polls.inc({ outcome: toQueue.length > 0 ? 'new_items' : 'no_new_items' });
    ctx.metrics.itemsSeen.inc(ids.length);
    ctx.metrics.itemsNew.inc(toQueue.length);
    return { feedId, status: 'ok', itemsInFeed: ids.length, newItems: toQueue.length, skippedOld: fresh.length - toQueue.length, itemsKnown: knownIds.length, ...(processed ? { processed } : {}) };
  } catch (err) {
    const e = err instanceof FetchError ? err : new FetchError('network', `${feed.url}: ${(err as Error).message}`);
    if (e.errorClass === 'busy') {
      // The host is at its limit or paused: not this feed's fault, so no failure is counted.
      ctx.log.info({ feedId, err: e.message }, 'host busy; poll put off to the next run');
      ctx.metrics.polls.inc({ outcome: 'deferred' });
      return { ...empty, status: 'deferred' };
    }
    ctx.metrics.polls.inc({ outcome: e.errorClass });
    const now = Date.now();
    const failure = await health.recordFailure(feed.id, { status: e.status, errorClass: e.errorClass, error: e.message });
    const next = nextPollAfterFailure(now, { ...failure, retryAfterSeconds: e.retryAfterSeconds }, feed.interval, settings);
    const flagged = isFlagged(failure.failingSince, now, settings.flagAfterMs);
    await health.schedule(feed.id, next, flagged);
    const detail = { feedId, errorClass: e.errorClass, failures: failure.consecutiveFailures, nextPollAt: new Date(next.at).toISOString(), err: e.message };
    if (flagged) {
      const failingSince = new Date(failure.failingSince).toISOString();
      ctx.log.error({ ...detail, failingSince }, 'feed failing for a long time; check it (still polled)');
      if (hasOperator(settings.operator) && (await health.claimOperatorNotice(feed.id))) {
        await tellOperator(ctx, { event: 'feed.failing', feed: feedFacts(feed), failingSince, failures: failure.consecutiveFailures, error: e.message, at: new Date(now).toISOString() });
      }
    } else ctx.log.warn(detail, `feed poll failed; next try ${next.reason === 'retry-after' ? 'when the server asked' : 'after backoff'}`);
    throw e;
  }
}

/**
 * Hands a poll's new items on; returns what it processed itself. A feed with fetchArticle: a job
 * per item (the page fetch is the cost, and pages go in parallel). Else the items go in batches
 * (articleBatches). In a process that runs the article role each batch is processed right here
 * (processBatch), which spares writing its text to Redis as a job, reading it back and BullMQ's
 * add, take and finish; in one that does not (`start --only poll`), each is a job for an article
 * worker elsewhere.
 * A batch that fails here (Redis lost midway, an article that trips a bug) is queued as a job,
 * with the batches after it, as a poll-only process would: the article worker retries it with
 * backoff and keeps it among the failed jobs when attempts run out, so nothing is lost, and the
 * feed, which was read fine, is not counted as failing. The steps the batch had done are
 * idempotent, so its re-run adds no second alert. (Should queueing fail too, the poll fails as
 * it always did when it could not queue, and the items, not remembered, come again next poll.)
 */
async function handOnNew(feed: FeedConfig, articles: Article[], ctx: WorkerContext): Promise<BatchResult | undefined> {
  const keepMs = ctx.settings.keepCompletedSeconds * 1000;
  if (feed.fetchArticle) {
    if (articles.length > 0) {
      await ctx.queues.article.addBulk(articles.map((article) => ({ name: 'article', data: { article: withoutHtml(article) }, opts: onceWithin(articleJobId(article), keepMs) })));
    }
    return undefined;
  }
  const batches = articleBatches(articles.map(withoutHtml));
  let done = 0;
  let processed: BatchResult | undefined;
  if (ctx.processesArticles && batches.length > 0) {
    processed = { articles: 0, matched: 0, alerts: 0, digests: 0 };
    // When the poll first saw them: the start of the alert latency, as an article job's timestamp.
    const firstSeenAt = new Date().toISOString();
    try {
      for (const batch of batches) {
        const r = await processBatch(batch, firstSeenAt, ctx);
        processed.articles += r.articles;
        processed.matched += r.matched;
        processed.alerts += r.alerts;
        processed.digests += r.digests;
        done++;
      }
    } catch (err) {
      const left = batches.slice(done).reduce((n, b) => n + b.length, 0);
      ctx.log.warn({ feedId: feed.id, articles: left, err: (err as Error).message }, 'new items not processed in the poll; queued as article jobs, which are retried');
    }
  }
  const queued = batches.slice(done);
  if (queued.length > 0) {
    await ctx.queues.article.addBulk(queued.map((batch) => ({ name: 'articles', data: { articles: batch }, opts: onceWithin(articleBatchJobId(feed.id, batch), keepMs) })));
  }
  return processed;
}

const feedFacts = (feed: FeedConfig): NoticeFacts['feed'] => ({ id: feed.id, url: feed.url, ...(feed.title ? { title: feed.title } : {}) });

async function tellIfRecovered(ctx: WorkerContext, feed: FeedConfig, recovered: { failingSince: string; failures: number } | undefined): Promise<void> {
  if (!recovered || !hasOperator(ctx.settings.operator)) return;
  ctx.log.info({ feedId: feed.id, failingSince: recovered.failingSince }, 'feed recovered after a long failure');
  await tellOperator(ctx, { event: 'feed.recovered', feed: feedFacts(feed), ...recovered, at: new Date().toISOString() });
}

/** Queues the notices; a failure to queue is logged, never mistaken for the poll's own outcome. */
async function tellOperator(ctx: WorkerContext, facts: NoticeFacts): Promise<void> {
  try {
    await queueOperatorNotices(ctx.queues.deliver, ctx.settings.operator, facts);
  } catch (err) {
    ctx.log.error({ feedId: facts.feed.id, event: facts.event, err: (err as Error).message }, 'could not queue the operator notice');
  }
}
