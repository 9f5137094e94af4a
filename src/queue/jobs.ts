// Queue names and the one payload type per queue. Producers and workers import these, so no
// untyped data crosses a queue. Job ids are derived from content (feed + item, subscription +
// story) so that adding the same work twice is a no-op in BullMQ.

import { createHash } from 'node:crypto';
import type { Snippet } from '../alerts/alert.js';
import type { DigestEntry } from '../alerts/digest-store.js';
import type { Article } from '../feeds/article.js';

export const QUEUES = { poll: 'poll', article: 'article', digest: 'digest', deliver: 'deliver' } as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export interface PollJobData {
  feedId: string;
}

/** One new article of a feed with fetchArticle on: its page is fetched, so each is a job of its own. */
export interface ArticleJobData {
  article: Article;
}

/**
 * New articles of one feed without fetchArticle, from one poll, processed in one go: the queue
 * work of a job (several Redis scripts) is paid once per batch instead of once per article.
 * At most ARTICLE_BATCH_MAX articles and about ARTICLE_BATCH_MAX_CHARS of text (articleBatches).
 */
export interface ArticleBatchJobData {
  articles: Article[];
}

/** What the article queue carries: one article (page fetch) or a batch (no page fetch). */
export type ArticleQueueData = ArticleJobData | ArticleBatchJobData;

export const isArticleBatch = (data: ArticleQueueData): data is ArticleBatchJobData => 'articles' in data;

/** Articles per batch job: a feed can list thousands of new items, and one job holds its worker that long. */
export const ARTICLE_BATCH_MAX = 100;
/** Characters of text per batch job, so that one payload stays a bounded write to Redis. */
export const ARTICLE_BATCH_MAX_CHARS = 1_000_000;

/** Splits a poll's new articles into batches, in order, by count and by text length. */
export function articleBatches(articles: Article[]): Article[][] {
  const batches: Article[][] = [];
  let batch: Article[] = [];
  let chars = 0;
  for (const article of articles) {
    const size = textLength(article);
    if (batch.length > 0 && (batch.length === ARTICLE_BATCH_MAX || chars + size > ARTICLE_BATCH_MAX_CHARS)) {
      batches.push(batch);
      batch = [];
      chars = 0;
    }
    batch.push(article);
    chars += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

const textLength = (a: Article) => (a.title?.length ?? 0) + (a.summary?.length ?? 0) + (a.content?.length ?? 0) + (a.contentHtml?.length ?? 0) + (a.url?.length ?? 0);

export interface MatchedRule {
  id: string;
  name: string;
  /** Matched terms and where, for highlighting. */
  hits: { term: string; field: string; start: number; end: number }[];
}

export interface DigestJobData {
  subscriptionId: string;
}

/** One story for one immediate subscription, sent as it happens. */
export interface AlertItem {
  storyId: string;
  /**
   * Without its text (content) when `snippet` is given: what the alert shows of the text is the
   * snippet, so the job does not carry (and write to Redis, and read back) the whole article.
   */
  article: Article;
  rules: MatchedRule[];
  /** Why it matched, as shown (snippetOf), made by the article worker. Absent in jobs queued by versions before it. */
  snippet?: Snippet;
  /** When the match happened (ISO 8601); alerts show it when the article has no date. */
  matchedAt: string;
  /** When a poll first saw the item (ISO 8601): the start of the alert latency in /metrics. */
  firstSeenAt?: string;
}

/**
 * One alert in a job of its own, as versions before AlertsDelivery queued each (subscription,
 * story): no longer queued, still delivered (jobs left in the queue by an upgrade).
 */
export interface AlertDelivery extends AlertItem {
  kind: 'alert';
  subscriptionId: string;
}

/**
 * The alerts of one batch (a poll's, processed by the poll or an article job; or one article
 * job with page fetch) for one immediate subscription, in order, sent one after the other by
 * one deliver job: the queue's work per job (add, take, finish, deduplication key) is paid once
 * per batch. Each alert is still sent once: a claim and a sent-marker per (subscription, story)
 * (src/alerts/sent-markers.ts).
 */
export interface AlertsDelivery {
  kind: 'alerts';
  subscriptionId: string;
  items: AlertItem[];
}

/** One digest email: the stories drained from a subscription's bucket by one digest run. */
export interface DigestDelivery {
  kind: 'digest';
  subscriptionId: string;
  digestId: string;
  entries: DigestEntry[];
  /** Stories left out beyond maxPerDigest ("and N more"). */
  omitted: number;
  createdAt: string;
}

/** Who an operator notice goes to: not a subscription, the `operator:` of settings.yaml. */
export const OPERATOR = '(operator)';

/**
 * A note to the operator (settings.yaml `operator:`) that a feed has failed for longer than
 * polling.flagAfter, or has recovered after that. One job per channel.
 */
export interface OperatorNotice {
  kind: 'notice';
  subscriptionId: typeof OPERATOR;
  channel: 'email' | 'webhook';
  event: 'feed.failing' | 'feed.recovered';
  feed: { id: string; url: string; title?: string };
  /** First failure of the run of failures (ISO 8601). */
  failingSince: string;
  /** Failed polls in a row (when failing: so far; when recovered: before the recovery). */
  failures: number;
  /** The last error (failing notices). */
  error?: string;
  /** When it was noticed (ISO 8601). */
  at: string;
}

export type DeliverJobData = AlertDelivery | AlertsDelivery | DigestDelivery | OperatorNotice;

/** BullMQ rejects ":" in custom ids and ids that are plain integers; a short hash avoids both. */
export function hashId(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 22);
}

/**
 * Options under which adding the same work again within `keepMs` is a no-op, without keeping the
 * finished job and its payload (article text) for that long: BullMQ's deduplication key
 * (`<prefix>:<queue>:de:<job id>`, a few dozen bytes) outlives the job, which is removed when it
 * completes. While the job itself exists, its id alone makes a second add a no-op.
 */
export function onceWithin(jobId: string, keepMs: number): { jobId: string; deduplication: { id: string; ttl: number } } {
  return { jobId, deduplication: { id: jobId, ttl: keepMs } };
}

export const articleJobId = (article: Article) => `a-${hashId(article.feed, article.id)}`;
/**
 * A batch is named by its feed and its items' ids: a poll that queued it and crashed before
 * remembering the items queues the same batch again, a no-op. (Should the feed have changed in
 * between, the re-run of its items gives no second alert either: see workers/article.ts.)
 */
export const articleBatchJobId = (feedId: string, articles: Article[]) => `b-${hashId(feedId, ...articles.map((a) => a.id))}`;
/** One alert's id: its job's when it has one of its own, and its sent-marker's either way. */
export const deliverJobId = (subscriptionId: string, storyId: string) => `d-${hashId(subscriptionId, storyId)}`;
/** A batch of alerts is named by its subscription and stories: a re-run of its batch adds nothing. */
export const alertsJobId = (subscriptionId: string, storyIds: string[]) => `e-${hashId(subscriptionId, ...storyIds)}`;
export const pollSchedulerId = (feedId: string) => `feed-${feedId}`;
export const digestJobId = (subscriptionId: string, digestId: string) => `g-${hashId(subscriptionId, digestId)}`;
export const digestSchedulerId = (subscriptionId: string) => `digest-${subscriptionId}`;
export const noticeJobId = (n: Pick<OperatorNotice, 'event' | 'channel' | 'feed' | 'failingSince'>) => `n-${hashId(n.event, n.channel, n.feed.id, n.failingSince)}`;

/**
 * Whether a failed job is done for: out of attempts, or failed with BullMQ's UnrecoverableError
 * (a permanent delivery failure), which skips the attempts left.
 */
export function failedForGood(job: { attemptsMade: number; opts: { attempts?: number } }, err: Error): boolean {
  return err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
}

/** One line naming a delivery, for summaries and the failed list. */
export function describeDelivery(data: DeliverJobData): string {
  if (data.kind === 'notice') {
    return data.event === 'feed.failing' ? `feed "${data.feed.id}" failing since ${data.failingSince} (${data.channel})` : `feed "${data.feed.id}" recovered (${data.channel})`;
  }
  if (data.kind === 'alert') return alertTitle(data);
  if (data.kind === 'alerts') {
    const [first] = data.items;
    if (!first) return 'no alerts';
    return data.items.length === 1 ? alertTitle(first) : `${data.items.length} alerts: ${alertTitle(first)}, and ${data.items.length - 1} more`;
  }
  return `digest of ${data.entries.length + data.omitted} stories`;
}

/** One line naming an alert: its article's title, else its link or id. */
export const alertTitle = (item: AlertItem): string => item.article.title ?? item.article.url ?? item.article.id;
