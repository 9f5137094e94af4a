// New articles: fetch its page and extract the main text when the feed asks for it, keep it
// among the recent articles (for previews), match it against every rule, assign it to a story
// (same URL or near-duplicate text within the dedup window), and hand it on per subscription
// whose rules matched: one delivery job per immediate subscription with its alerts of the job,
// in order (job id from subscription + stories, so a re-run adds nothing; a copy of a story in
// another job is sent once by the sent-markers), or an entry in the digest bucket for digest
// subscriptions. Every matching rule and interested subscription also gets the story in its
// alert feed (once per story, however many copies). A job is one article when its feed has
// fetchArticle on (the page fetch is the cost; articles go in parallel), else a poll's batch of
// new articles (processBatch: the queue's own work paid once per batch). A process that runs the
// poll role too calls processBatch from the poll itself, and queues no batch (workers/poll.ts).

import { DelayedError, type Job } from 'bullmq';
import { feedById } from '../src/config/load.js';
import { forDelivery } from '../src/alerts/alert.js';
import { matchedWords } from '../src/alerts/alert-feed.js';
import { AlertFeedStore, type AlertFeedEntry } from '../src/alerts/alert-feed-store.js';
import { DigestStore } from '../src/alerts/digest-store.js';
import { StoryStore } from '../src/alerts/story-store.js';
import { passesFilters, SubscriptionState, subscriptionOfKeywordRule, subscriptionRuleIds } from '../src/alerts/subscriptions.js';
import type { FeedConfig } from '../src/config/schema.js';
import { matchInputOf, withoutHtml, withPage, type Article } from '../src/feeds/article.js';
import { addressPolicy } from '../src/feeds/address-guard.js';
import { readArticlePage } from '../src/feeds/article-page.js';
import { FetchError } from '../src/feeds/fetch.js';
import { hostLimiter } from '../src/feeds/host-limiter.js';
import { RecentArticles } from '../src/feeds/recent-articles.js';
import type { RuleMatch } from '../src/match/index.js';
import type { WorkerContext } from '../src/queue/context.js';
import { alertsJobId, isArticleBatch, onceWithin, type AlertItem, type AlertsDelivery, type ArticleJobData, type ArticleQueueData, type MatchedRule } from '../src/queue/jobs.js';

export interface ArticleResult {
  matchedRules: string[];
  storyId?: string;
  copy?: boolean;
  /** Subscriptions an alert was queued for. */
  queuedFor: string[];
  /** Digest subscriptions whose next digest got the story (or its source as another copy). */
  digests: string[];
  extracted: boolean;
}

/** What a batch job did, as counts: a job's result is written to Redis with it, so it stays small. */
export interface BatchResult {
  articles: number;
  /** Articles that matched at least one rule. */
  matched: number;
  /** Alerts queued (in one delivery job per subscription). */
  alerts: number;
  /** Digest entries added (a story, or its source as another copy). */
  digests: number;
}

export type ArticleJobResult = ArticleResult | BatchResult;

/** Articles processed, of them matched, and digest entries added, by an article job of either shape. */
export function articleCounts(result: ArticleJobResult): { articles: number; matched: number; digests: number } {
  if ('articles' in result) return result;
  return { articles: 1, matched: result.matchedRules.length > 0 ? 1 : 0, digests: result.digests.length };
}

export async function processArticle(job: Job<ArticleQueueData>, ctx: WorkerContext, token?: string): Promise<ArticleJobResult> {
  // The poll queued this job when it first saw the items.
  const firstSeenAt = new Date(job.timestamp).toISOString();
  if (isArticleBatch(job.data)) return processBatch(job.data.articles, firstSeenAt, ctx);
  return processOne(job as Job<ArticleJobData>, firstSeenAt, ctx, token);
}

async function processOne(job: Job<ArticleJobData>, firstSeenAt: string, ctx: WorkerContext, token?: string): Promise<ArticleResult> {
  const feed = feedById(ctx.config, job.data.article.feed);
  let article = job.data.article;
  let extracted = false;
  const pageUrl = article.url;
  if (feed?.fetchArticle && pageUrl) {
    try {
      article = await enrich(article, ctx);
      extracted = true;
      ctx.metrics.extractions.inc({ outcome: 'ok' });
    } catch (err) {
      if (err instanceof FetchError && err.errorClass === 'busy') await waitForHost(job, err, ctx, token);
      // The feed's own text is still worth matching; the page may be down or paywalled. (A 429
      // or 503 with Retry-After has paused the whole host in fetchUrl, feed polls included.)
      const errorClass = err instanceof FetchError ? err.errorClass : undefined;
      ctx.metrics.extractions.inc({ outcome: errorClass ?? 'error' });
      const budget = errorClass === 'over-budget' ? { timeoutMs: ctx.settings.parsing.timeoutMs, memoryMb: ctx.settings.parsing.memoryMb } : {};
      ctx.log.warn({ feedId: article.feed, url: article.url, errorClass, ...budget, err: (err as Error).message }, 'article page not extracted; matching feed text');
    }
  }

  // Every article, matched or not, is kept a while for previews of queries not yet subscribed.
  if (ctx.settings.recent.maxArticles > 0) await new RecentArticles(ctx.redis, ctx.keys, ctx.settings.recent).add(withoutHtml(article), feed?.tags);

  await ctx.directory.ready;
  const matches = ctx.directory.index.match(matchInputOf(article, feed?.tags));
  ctx.metrics.articles.inc();
  ctx.metrics.matched(matches.map((m) => m.rule));
  if (matches.length === 0) return { matchedRules: [], queuedFor: [], digests: [], extracted };
  const alerts = new AlertBatches();
  const [handed] = await handOn([{ article, matches }], ctx, { feed, firstSeenAt, disabled: () => new SubscriptionState(ctx.redis, ctx.keys).disabled() }, alerts);
  await queueAlerts(alerts, ctx);
  logMatch(ctx, article, handed!);
  return { ...handed!, extracted };
}

/**
 * A poll's new articles of one feed without page fetch, in one go (a batch job's, or the poll's
 * own in a process that runs the article role): kept among the recent articles by one script
 * call, each matched, and only the few that match handed on, with one addBulk of their
 * deliveries (one per subscription) at the end. A re-run (the worker was killed midway and
 * BullMQ gives the job to another, or a poll killed before remembering its items reads them
 * again) repeats every step, and each is idempotent: the recent articles are replaced, an
 * article finds the story it founded or joined, alert-feed entries are added once per story
 * (ZADD NX), digest entries once per subscription and story (a marker), a delivery is named by
 * its subscription and stories (onceWithin), and an alert that is in two deliveries all the same
 * is sent by one (its sent-marker), so no alert is sent twice and none is lost.
 */
export async function processBatch(articles: Article[], firstSeenAt: string, ctx: WorkerContext): Promise<BatchResult> {
  const result: BatchResult = { articles: articles.length, matched: 0, alerts: 0, digests: 0 };
  if (articles.length === 0) return result;
  const feedId = articles[0]!.feed;
  const feed = feedById(ctx.config, feedId);
  if (ctx.settings.recent.maxArticles > 0) await new RecentArticles(ctx.redis, ctx.keys, ctx.settings.recent).addAll(articles, feed?.tags);

  await ctx.directory.ready;
  let disabled: Promise<Map<string, string>> | undefined;
  const on: HandOnContext = { feed, firstSeenAt, disabled: () => (disabled ??= new SubscriptionState(ctx.redis, ctx.keys).disabled()) };
  const alerts = new AlertBatches();
  const matched: Matched[] = [];
  for (const article of articles) {
    const matches = ctx.directory.index.match(matchInputOf(article, feed?.tags));
    if (matches.length === 0) continue;
    ctx.metrics.matched(matches.map((m) => m.rule));
    matched.push({ article, matches });
  }
  const handed = await handOn(matched, ctx, on, alerts);
  ctx.metrics.articles.inc(articles.length);
  await queueAlerts(alerts, ctx);
  matched.forEach(({ article }, i) => {
    logMatch(ctx, article, handed[i]!);
    result.digests += handed[i]!.digests.length;
  });
  result.matched = matched.length;
  result.alerts = alerts.count;
  return result;
}

/**
 * The alerts of one batch (or article job), gathered per immediate subscription in the order
 * they arose: one delivery job each, so the queue's work per job (add, take, finish,
 * deduplication key) is paid once per subscription and batch rather than once per alert. A story twice for one
 * subscription (two copies in one batch) is one alert, the first.
 */
class AlertBatches {
  private readonly bySubscription = new Map<string, Map<string, AlertItem>>();

  add(subscriptionId: string, item: AlertItem): void {
    let items = this.bySubscription.get(subscriptionId);
    if (!items) this.bySubscription.set(subscriptionId, (items = new Map()));
    if (!items.has(item.storyId)) items.set(item.storyId, item);
  }

  get count(): number {
    let n = 0;
    for (const items of this.bySubscription.values()) n += items.size;
    return n;
  }

  /** One job per subscription, named by it and its stories: a re-run of the batch adds nothing. */
  jobs(keepMs: number): { name: string; data: AlertsDelivery; opts: ReturnType<typeof onceWithin> }[] {
    return [...this.bySubscription].map(([subscriptionId, byStory]) => ({
      name: 'alerts',
      data: { kind: 'alerts', subscriptionId, items: [...byStory.values()] },
      opts: onceWithin(alertsJobId(subscriptionId, [...byStory.keys()]), keepMs),
    }));
  }
}

/**
 * Queues the delivery jobs of `alerts`; nothing when there are none (most batches), since
 * BullMQ's addBulk builds and runs a pipeline even for an empty list.
 */
async function queueAlerts(alerts: AlertBatches, ctx: WorkerContext): Promise<void> {
  if (alerts.count === 0) return;
  await ctx.queues.deliver.addBulk(alerts.jobs(ctx.settings.keepCompletedSeconds * 1000));
}

interface HandOnContext {
  feed?: FeedConfig;
  firstSeenAt: string;
  /** Subscriptions disabled after permanent delivery failures (read once per job). */
  disabled: () => Promise<Map<string, string>>;
}

type Matched = { article: Article; matches: RuleMatch[] };

/**
 * Matched articles of one job, in order: their stories, the alert feeds of their rules and
 * subscriptions, digest entries, and (added to `alerts`, for the caller to queue) the alerts of
 * immediate subscriptions. The Redis steps go for all the articles at once: their stories in
 * one script call (assigned in order, so a copy finds the story an earlier article founded, as
 * one after the other), then the alert-feed entries in one script call per feed.
 */
async function handOn(found: Matched[], ctx: WorkerContext, on: HandOnContext, alerts: AlertBatches): Promise<Omit<ArticleResult, 'extracted'>[]> {
  if (found.length === 0) return [];
  const { feed, firstSeenAt } = on;
  const disabled = await on.disabled();
  const plans = found.map(({ article, matches }) => {
    const hitsByRule = new Map(matches.map((m) => [m.rule, m.hits]));
    const interested = ctx.directory.subscriptionsFor(hitsByRule.keys()).flatMap((sub) => {
      if (sub.paused || disabled.has(sub.id) || !passesFilters(sub, article)) return [];
      const rules: MatchedRule[] = subscriptionRuleIds(sub).flatMap((id) => {
        const hits = hitsByRule.get(id);
        return hits ? [{ id, name: ctx.directory.ruleName(id), hits }] : [];
      });
      return rules.length > 0 ? [{ sub, rules }] : [];
    });
    // Rules have alert feeds of their own; a subscription's keyword rule is in the subscription's.
    const ruleFeeds = matches.filter((m) => subscriptionOfKeywordRule(m.rule) === undefined);
    return { article, matchedRules: [...hitsByRule.keys()], interested, ruleFeeds };
  });
  const storied = plans.filter((p) => p.interested.length > 0 || p.ruleFeeds.length > 0);
  const stories = await new StoryStore(ctx.redis, ctx.keys, ctx.settings.dedupWindowMs).assignAll(storied.map((p) => p.article));
  const storyOf = new Map(storied.map((p, i) => [p, stories[i]!]));
  const matchedAt = new Date().toISOString();
  const sourceOf = (article: Article) => feed?.title ?? article.feed;
  const feedEntries: Parameters<AlertFeedStore['add']>[0] = [];
  for (const p of storied) {
    const { article } = p;
    const { storyId } = storyOf.get(p)!;
    const feedEntry = (rules: MatchedRule[]): AlertFeedEntry => ({
      storyId,
      title: article.title,
      url: article.url,
      summary: article.summary,
      published: article.published,
      source: sourceOf(article),
      matchedAt,
      rules: rules.map((r) => r.name),
      words: matchedWords(article, rules),
    });
    feedEntries.push(
      ...p.ruleFeeds.map((m) => ({ owner: { kind: 'rule' as const, id: m.rule }, entry: feedEntry([{ id: m.rule, name: ctx.directory.ruleName(m.rule), hits: m.hits }]) })),
      ...p.interested.map(({ sub, rules }) => ({ owner: { kind: 'subscription' as const, id: sub.id }, entry: feedEntry(rules) })),
    );
  }
  await new AlertFeedStore(ctx.redis, ctx.keys).add(feedEntries);

  const digests = new DigestStore(ctx.redis, ctx.keys, ctx.settings.dedupWindowMs);
  const results: Omit<ArticleResult, 'extracted'>[] = [];
  for (const p of plans) {
    const { article, matchedRules, interested } = p;
    const story = storyOf.get(p);
    if (!story) {
      results.push({ matchedRules, queuedFor: [], digests: [] });
      continue;
    }
    const { storyId, isNew } = story;
    const queuedFor: string[] = [];
    const digested: string[] = [];
    const slim = interested.length > 0 ? withoutHtml(article) : article;
    for (const { sub, rules } of interested) {
      if (sub.delivery === 'digest') {
        const outcome = await digests.add(sub.id, { storyId, article: slim, source: sourceOf(article), rules, matchedAt, also: [] }, !isNew);
        if (outcome === 'added' || outcome === 'also') digested.push(sub.id);
      } else {
        alerts.add(sub.id, forDelivery({ storyId, article: slim, rules, matchedAt, firstSeenAt }));
        queuedFor.push(sub.id);
      }
    }
    results.push({ matchedRules, storyId, copy: !isNew, queuedFor, digests: digested });
  }
  return results;
}

function logMatch(ctx: WorkerContext, article: Article, r: Omit<ArticleResult, 'extracted'>): void {
  if (r.storyId === undefined) return;
  ctx.log.info({ feedId: article.feed, title: article.title, rules: r.matchedRules, storyId: r.storyId, copy: r.copy, alerts: r.queuedFor, digests: r.digests }, 'article matched');
}

/**
 * The page's host is busy or paused (Retry-After): put the job back as delayed until about when
 * it is free, without counting an attempt, unless the article has already waited pageMaxDelayMs
 * (then it goes on and matches on the feed text, so a long pause cannot hold alerts back).
 */
async function waitForHost(job: Job<ArticleJobData>, err: FetchError, ctx: WorkerContext, token: string | undefined): Promise<void> {
  const waitMs = err.retryAfterSeconds ? err.retryAfterSeconds * 1000 : 2_000 + Math.random() * 8_000;
  const until = Date.now() + waitMs;
  if (token === undefined || until - job.timestamp > ctx.settings.pageMaxDelayMs) return;
  ctx.log.info({ feedId: job.data.article.feed, url: job.data.article.url, until: new Date(until).toISOString() }, 'article page host busy; article put off');
  await job.moveToDelayed(until, token);
  throw new DelayedError();
}

async function enrich(article: Article, ctx: WorkerContext): Promise<Article> {
  // Article pages share the per-host limits with feed polls: a site's feed and its pages are
  // usually served by the same host. The link is the feed's, not the operator's: private
  // addresses other than the feeds' own hosts are refused.
  const page = await ctx.metrics.timeFetch('page', () => readArticlePage(article.url as string, {
    settings: ctx.settings,
    siteRules: ctx.config.sites,
    sandbox: ctx.sandbox,
    gate: hostLimiter(ctx.redis, ctx.keys, ctx.settings).gate,
    guard: addressPolicy(ctx.config.feeds, ctx.settings.allowAddresses),
  }));
  return withPage(article, page);
}
