// Queue names and the one payload type per queue. Producers and workers import these, so no
// untyped data crosses a queue. Job ids are derived from content (feed + item, subscription +
// story) so that adding the same work twice is a no-op in BullMQ.

import { createHash } from 'node:crypto';
import type { DigestEntry } from '../alerts/digest-store.js';
import type { Article } from '../feeds/article.js';

export const QUEUES = { poll: 'poll', article: 'article', digest: 'digest', deliver: 'deliver' } as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export interface PollJobData {
  feedId: string;
}

export interface ArticleJobData {
  article: Article;
}

export interface MatchedRule {
  id: string;
  name: string;
  /** Matched terms and where, for highlighting. */
  hits: { term: string; field: string; start: number; end: number }[];
}

export interface DigestJobData {
  subscriptionId: string;
}

/** One alert for one story, sent as it happens. */
export interface AlertDelivery {
  kind: 'alert';
  subscriptionId: string;
  storyId: string;
  article: Article;
  rules: MatchedRule[];
  /** When the match happened (ISO 8601); alerts show it when the article has no date. */
  matchedAt: string;
  /** When a poll first saw the item (ISO 8601): the start of the alert latency in /metrics. */
  firstSeenAt?: string;
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

export type DeliverJobData = AlertDelivery | DigestDelivery | OperatorNotice;

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
export const deliverJobId = (subscriptionId: string, storyId: string) => `d-${hashId(subscriptionId, storyId)}`;
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
  return data.kind === 'alert'
    ? (data.article.title ?? data.article.url ?? data.article.id)
    : `digest of ${data.entries.length + data.omitted} stories`;
}
