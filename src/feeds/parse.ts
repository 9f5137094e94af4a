// Feed text to raw items: rss-parser for RSS 0.9x/1.0/2.0 and Atom, our own reader for JSON Feed
// 1.0/1.1 (rss-parser does not read it). Anything else is a FetchError of class "not-a-feed".

import Parser from 'rss-parser';
import { FetchError } from './fetch.js';

export interface RawItem {
  guid?: string;
  link?: string;
  title?: string;
  summary?: string;
  contentHtml?: string;
  author?: string;
  categories?: string[];
  published?: string;
  language?: string;
}

export interface ParsedFeed {
  title?: string;
  link?: string;
  language?: string;
  items: RawItem[];
}

type RssItem = Parser.Item & { id?: string; author?: string; creator?: string; summary?: string; 'content:encoded'?: string };
const parser: Parser<{ language?: string }, RssItem> = new Parser({
  customFields: { feed: ['language'], item: ['id', 'author', 'summary'] },
});

export async function parseFeed(text: string, source: string): Promise<ParsedFeed> {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) return parseJsonFeed(trimmed, source);
  if (!trimmed.startsWith('<')) throw new FetchError('not-a-feed', `${source}: not XML or JSON (starts with "${trimmed.slice(0, 20)}")`);
  let feed: Parser.Output<RssItem> & { language?: string };
  try {
    feed = await parser.parseString(trimmed);
  } catch (err) {
    throw new FetchError('not-a-feed', `${source}: not a readable RSS/Atom feed: ${(err as Error).message.split('\n')[0]}`);
  }
  return {
    title: feed.title,
    link: feed.link,
    language: feed.language,
    items: (feed.items ?? []).map((item) => ({
      guid: item.guid ?? item.id,
      link: item.link,
      title: item.title,
      summary: item.summary ?? item.contentSnippet,
      contentHtml: item['content:encoded'] ?? item.content,
      author: item.creator ?? item.author,
      categories: item.categories?.map(String),
      published: item.isoDate ?? item.pubDate,
    })),
  };
}

interface JsonFeedItem {
  id?: string | number;
  url?: string;
  external_url?: string;
  title?: string;
  summary?: string;
  content_html?: string;
  content_text?: string;
  date_published?: string;
  authors?: { name?: string }[];
  author?: { name?: string };
  tags?: string[];
  language?: string;
}

function parseJsonFeed(text: string, source: string): ParsedFeed {
  let feed: { version?: string; title?: string; home_page_url?: string; language?: string; items?: JsonFeedItem[] };
  try {
    feed = JSON.parse(text);
  } catch (err) {
    throw new FetchError('not-a-feed', `${source}: invalid JSON: ${(err as Error).message}`);
  }
  if (!String(feed.version ?? '').includes('jsonfeed.org') || !Array.isArray(feed.items)) {
    throw new FetchError('not-a-feed', `${source}: JSON but not a JSON Feed (no jsonfeed.org version or items list)`);
  }
  return {
    title: feed.title,
    link: feed.home_page_url,
    language: feed.language,
    items: feed.items.map((item) => ({
      guid: item.id === undefined ? undefined : String(item.id),
      link: item.url ?? item.external_url,
      title: item.title,
      summary: item.summary ?? item.content_text,
      contentHtml: item.content_html,
      author: item.authors?.[0]?.name ?? item.author?.name,
      categories: item.tags,
      published: item.date_published,
      language: item.language,
    })),
  };
}
