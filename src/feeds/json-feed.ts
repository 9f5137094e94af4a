// JSON Feed 1.0 and 1.1 (jsonfeed.org) to raw items; rss-parser does not read it. Both versions'
// author fields (1.0 `author`, 1.1 `authors`) and the 1.1 `language` are read; an item without
// an author takes the feed's. Values of the wrong JSON type are ignored, not trusted.

import { FetchError } from './fetch-error.js';
import type { ParsedFeed } from './parse.js';

interface JsonFeedItem {
  id?: string | number;
  url?: string;
  external_url?: string;
  title?: string;
  summary?: string;
  content_html?: string;
  content_text?: string;
  date_published?: string;
  date_modified?: string;
  authors?: { name?: string }[];
  author?: { name?: string };
  tags?: string[];
  language?: string;
}

interface JsonFeed {
  version?: string;
  title?: string;
  home_page_url?: string;
  language?: string;
  authors?: { name?: string }[];
  author?: { name?: string };
  items?: JsonFeedItem[];
}

export function parseJsonFeed(text: string, source: string): ParsedFeed {
  let feed: JsonFeed;
  try {
    feed = JSON.parse(text) as JsonFeed;
  } catch (err) {
    throw new FetchError('not-a-feed', `${source}: invalid JSON: ${(err as Error).message}`);
  }
  if (!String(feed?.version ?? '').includes('jsonfeed.org') || !Array.isArray(feed.items)) {
    throw new FetchError('not-a-feed', `${source}: JSON but not a JSON Feed (no jsonfeed.org version or items list)`);
  }
  const feedAuthor = feed.authors?.[0]?.name ?? feed.author?.name;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    title: str(feed.title),
    link: str(feed.home_page_url),
    language: str(feed.language),
    items: feed.items
      .filter((item): item is JsonFeedItem => Boolean(item) && typeof item === 'object')
      .map((item) => ({
        guid: item.id === undefined || item.id === null ? undefined : String(item.id),
        link: str(item.url) ?? str(item.external_url),
        title: str(item.title),
        summary: str(item.summary) ?? str(item.content_text),
        contentHtml: str(item.content_html),
        author: str(item.authors?.[0]?.name) ?? str(item.author?.name) ?? feedAuthor,
        categories: Array.isArray(item.tags) ? item.tags.filter((t) => typeof t === 'string') : undefined,
        published: str(item.date_published) ?? str(item.date_modified),
        language: str(item.language),
      })),
  };
}
