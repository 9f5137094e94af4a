// Public data shapes of the matcher: the article it reads and the matches it returns.
// Offsets in a Hit are 0-based UTF-16 char offsets into the original field text (for url/site,
// into the URL; for feed and lang, into the feed id / tag or the language tag).

export interface MatchInput {
  id: string;
  title?: string;
  summary?: string;
  content?: string;
  url?: string;
  /** Feed id. */
  feed?: string;
  /** BCP 47 language tag ("en", "en-GB"); selects the stemmer (English when unknown). */
  language?: string;
  published?: string;
  /** Tags of the feed; `feed:` matches the feed id or any of these. */
  feedTags?: string[];
}

export type HitField = 'title' | 'summary' | 'content' | 'url' | 'site' | 'feed' | 'lang';

/** One place where a query term matched. */
export interface Hit {
  /** The query term as written in the rule (`negotiat*`, `"peace talks"`, `site:bbc.co.uk`). */
  term: string;
  field: HitField;
  start: number;
  end: number;
}

export interface RuleMatch {
  rule: string;
  /** Sorted by field (title, summary, content, url, site, feed, lang), then start. */
  hits: Hit[];
}

/** A watch rule as configured: `query` and the all/any/none lists are combined with AND. */
export interface RuleSpec {
  id: string;
  query?: string;
  /** Every query must match. */
  all?: string[];
  /** At least one query must match. */
  any?: string[];
  /** No query may match. */
  none?: string[];
}
