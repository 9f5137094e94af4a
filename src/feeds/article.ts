// The article as it flows through the pipeline: produced by feeds/normalise (and enriched by
// extract/ when the feed has fetchArticle on), matched by match/, rendered by alerts/.
// Text fields are plain text; contentHtml keeps the feed's or page's HTML when there is one.

import type { Extracted } from '../extract/index.js';
import type { MatchInput } from '../match/index.js';
import { boundArticle } from './bounds.js';

export interface Article {
  /** Stable id within its feed: guid, else canonical link, else a content hash. */
  id: string;
  /** Id of the feed (from feeds.yaml) the article came through. */
  feed: string;
  url?: string;
  title?: string;
  summary?: string;
  content?: string;
  contentHtml?: string;
  author?: string;
  categories?: string[];
  language?: string;
  /** ISO 8601 timestamp. */
  published?: string;
}

/**
 * The article without its HTML, as queues and stores carry it: matching, emails, webhooks and
 * digests read the text fields, and the HTML would double the bytes written to Redis per item.
 */
export function withoutHtml(article: Article): Article {
  const { contentHtml: _html, ...rest } = article;
  return rest;
}

/** What the matcher reads of an article; `feedTags` are the tags of its feed in feeds.yaml. */
export function matchInputOf(article: Article, feedTags?: string[]): MatchInput {
  return {
    id: article.id,
    title: article.title,
    summary: article.summary,
    content: article.content,
    url: article.url,
    feed: article.feed,
    language: article.language,
    published: article.published,
    feedTags,
  };
}

/**
 * The article with what its page gave: the page's text replaces the feed's when it is longer (a
 * feed often carries only a teaser); metadata fills only what the feed left out. The page's
 * fields are bounded as the feed's are (bounds.ts).
 */
export function withPage(article: Article, page: Extracted): Article {
  const longer = page.text.length > (article.content?.length ?? 0);
  return boundArticle({
    ...article,
    title: article.title ?? page.title,
    content: longer ? page.text : article.content,
    contentHtml: longer ? page.html : article.contentHtml,
    author: article.author ?? page.byline,
    language: article.language ?? page.language,
    published: article.published ?? page.published,
  });
}
