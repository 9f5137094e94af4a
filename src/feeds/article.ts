// The article as it flows through the pipeline: produced by feeds/normalise (and enriched by
// extract/ when the feed has fetchArticle on), matched by match/, rendered by alerts/.
// Text fields are plain text; contentHtml keeps the feed's or page's HTML when there is one.

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
