// What a query would have matched, before anyone subscribes to it: the subscribe page's live
// preview (and any other caller). Rules:
// - A query typed by a stranger is capped first: length (web.maxQueryLength) and terms
//   (web.maxQueryTerms), then parsed; a parse error comes back with its offset and a caret line.
// - It is tried on the recent articles kept in Redis (src/feeds/recent-articles.ts). Each process
//   keeps them prepared in memory and reads only the ones added since its last read, at most
//   every REFRESH_MS, so a keystroke costs matching, not a Redis download.
// - The newest matches come first, each with its title and a snippet and the ranges to highlight.

import type { Article } from '../feeds/article.js';
import { RecentArticles, type RecentArticle, type RecentLimits } from '../feeds/recent-articles.js';
import { compileRule, evaluateRule, formatQueryError, parseQuery, prepareArticle, QuerySyntaxError, type Hit, type PreparedArticle, type QueryNode, type RuleSpec } from '../match/index.js';
import type { RedisKeys } from '../queue/keys.js';
import type { RedisClient } from '../queue/redis.js';
import { snippetOf, type Snippet } from './alert.js';

/** Recent articles are read from Redis again at most this often. */
const REFRESH_MS = 2_000;

export interface QueryLimits {
  /** Characters. */
  maxLength: number;
  /** Words, phrases, prefixes, regexes and filters together. */
  maxTerms: number;
}

export interface QueryProblem {
  message: string;
  /** 0-based offset of the problem in the query, and how many characters. */
  offset: number;
  length: number;
  hint?: string;
  /** The message, the query and a caret line under the problem. */
  caret: string;
}

export interface PreviewMatch {
  title: string;
  /** Ranges of `title` to highlight. */
  titleHighlights: { start: number; end: number }[];
  url?: string;
  feed?: string;
  published?: string;
  snippet: Snippet;
}

export type PreviewResult = { ok: true; searched: number; total: number; matches: PreviewMatch[] } | { ok: false; problem: QueryProblem };

/** Checks a stranger's query against the caps and the grammar; the problem, or undefined when fine. */
export function queryProblem(query: string, limits: QueryLimits): QueryProblem | undefined {
  if (query.trim() === '') return problem(query, new QuerySyntaxError('the query is empty: write at least one word', 0, 1));
  if (query.length > limits.maxLength) {
    return problem(query, new QuerySyntaxError(`the query is ${query.length} characters long; at most ${limits.maxLength} are accepted`, limits.maxLength, query.length - limits.maxLength, 'shorten it, or split it into two subscriptions'));
  }
  let tree: QueryNode;
  try {
    tree = parseQuery(query);
  } catch (err) {
    if (err instanceof QuerySyntaxError) return problem(query, err);
    throw err;
  }
  const terms = countTerms(tree);
  if (terms > limits.maxTerms) {
    return problem(query, new QuerySyntaxError(`the query has ${terms} terms; at most ${limits.maxTerms} are accepted`, 0, query.length, 'leave out some words, or split it into two subscriptions'));
  }
  return undefined;
}

function problem(query: string, err: QuerySyntaxError): QueryProblem {
  const offset = Math.min(err.offset, query.length);
  return { message: err.message, offset, length: err.length ?? 1, hint: err.hint, caret: formatQueryError(query, err) };
}

function countTerms(node: QueryNode): number {
  switch (node.type) {
    case 'and':
    case 'or':
    case 'near':
      return node.children.reduce((n, child) => n + countTerms(child), 0);
    case 'not':
    case 'field':
      return countTerms(node.child);
    default:
      return 1;
  }
}

interface Prepared {
  article: RecentArticle;
  prepared: PreparedArticle;
}

/** Previews of queries on the recent articles; one per process, shared by its requests. */
export class QueryPreview {
  private readonly store: RecentArticles;
  private articles: Prepared[] = [];
  private newest = 0;
  private refreshedAt = 0;
  private refreshing: Promise<void> | undefined;

  constructor(
    redis: RedisClient,
    keys: RedisKeys,
    private readonly recent: RecentLimits,
    private readonly limits: QueryLimits,
  ) {
    this.store = new RecentArticles(redis, keys, recent);
  }

  /**
   * The newest `max` recent articles a reader's query (checked against the caps) or an
   * operator's rule matches; the query's problem when it has one.
   */
  async preview(input: string | RuleSpec, max = 10, now = Date.now()): Promise<PreviewResult> {
    if (typeof input === 'string') {
      const found = queryProblem(input, this.limits);
      if (found) return { ok: false, problem: found };
    }
    const rule = compileRule(typeof input === 'string' ? { id: 'preview', query: input } : input);
    await this.refresh(now);
    const matches: PreviewMatch[] = [];
    let total = 0;
    for (let i = this.articles.length - 1; i >= 0; i--) {
      const { article, prepared } = this.articles[i]!;
      const match = evaluateRule(rule, prepared);
      if (!match) continue;
      total++;
      if (matches.length < max) matches.push(matchOf(article, match.hits));
    }
    return { ok: true, searched: this.articles.length, total, matches };
  }

  private async refresh(now: number): Promise<void> {
    if (now - this.refreshedAt < REFRESH_MS) return;
    this.refreshing ??= (async () => {
      try {
        const added = await this.store.since(this.newest, now);
        const cutoff = now - this.recent.keepMs;
        const fresh = added.map((article) => ({ article, prepared: prepareArticle(article) }));
        // An article kept again (updated) replaces its older copy.
        const ids = new Set(added.map((a) => `${a.feed}\u0000${a.id}`));
        this.articles = [...this.articles.filter((a) => a.article.keptAt > cutoff && !ids.has(`${a.article.feed}\u0000${a.article.id}`)), ...fresh].slice(
          -this.recent.maxArticles,
        );
        this.newest = Math.max(this.newest, ...added.map((a) => a.keptAt));
        this.refreshedAt = now;
      } finally {
        this.refreshing = undefined;
      }
    })();
    await this.refreshing;
  }
}

function matchOf(article: RecentArticle, hits: Hit[]): PreviewMatch {
  const title = article.title ?? article.url ?? '(no title)';
  const titleHighlights = article.title ? hits.filter((h) => h.field === 'title').map(({ start, end }) => ({ start, end })) : [];
  const asArticle: Article = { ...article, feed: article.feed ?? '' };
  return {
    title,
    titleHighlights,
    url: article.url,
    feed: article.feed,
    published: article.published,
    snippet: snippetOf({ article: asArticle, rules: [{ id: 'preview', name: 'preview', hits }] }),
  };
}
