// Queue names and the one payload type per queue. Producers and workers import these, so no
// untyped data crosses a queue. Job ids are derived from content (feed + item, subscription +
// story) so that adding the same work twice is a no-op in BullMQ.

import { createHash } from 'node:crypto';
import type { Article } from '../feeds/article.js';

export const QUEUES = { poll: 'poll', article: 'article', deliver: 'deliver' } as const;
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

export interface DeliverJobData {
  subscriptionId: string;
  storyId: string;
  article: Article;
  rules: MatchedRule[];
  /** When the match happened (ISO 8601); alerts show it when the article has no date. */
  matchedAt: string;
}

/** BullMQ rejects ":" in custom ids and ids that are plain integers; a short hash avoids both. */
export function hashId(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 22);
}

export const articleJobId = (article: Article) => `a-${hashId(article.feed, article.id)}`;
export const deliverJobId = (subscriptionId: string, storyId: string) => `d-${hashId(subscriptionId, storyId)}`;
export const pollSchedulerId = (feedId: string) => `feed-${feedId}`;
