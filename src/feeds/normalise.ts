// Raw feed items to Articles. Rules: the id is the guid, else the canonical link, else a hash of
// title and date; links are made absolute and stripped of tracking parameters and fragments;
// title and summary become clean text; a missing date becomes the time first seen.

import { createHash } from 'node:crypto';
import * as cheerio from 'cheerio';
import type { Article } from './article.js';
import type { ParsedFeed, RawItem } from './parse.js';

const TRACKING_PARAM = /^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|_ga|igshid)$/i;

/** Absolute http(s) URL without tracking parameters or fragment; undefined when not a URL. */
export function canonicalUrl(link: string | undefined, base?: string): string | undefined {
  if (!link?.trim()) return undefined;
  let url: URL;
  try {
    url = new URL(link.trim(), base);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  url.hash = '';
  for (const key of [...url.searchParams.keys()]) {
    if (TRACKING_PARAM.test(key)) url.searchParams.delete(key);
  }
  return url.toString();
}

/** Text of an HTML fragment: tags stripped, entities decoded, white space folded. */
export function htmlToText(html: string | undefined): string | undefined {
  if (!html) return undefined;
  const text = html.includes('<') || html.includes('&') ? cheerio.load(html, null, false).text() : html;
  const folded = text.replace(/\s+/g, ' ').trim();
  return folded || undefined;
}

export function normaliseItem(item: RawItem, feed: { id: string; url: string }, parsed: ParsedFeed, now: Date): Article {
  const base = parsed.link ? canonicalUrl(parsed.link, feed.url) : feed.url;
  const url = canonicalUrl(item.link, base ?? feed.url) ?? canonicalUrl(item.guid, base ?? feed.url);
  const title = htmlToText(item.title);
  const published = parseDate(item.published) ?? now.toISOString();
  const id =
    item.guid?.trim() ||
    url ||
    createHash('sha256').update(`${title ?? ''}\u0000${item.published ?? ''}`).digest('hex').slice(0, 32);
  const content = htmlToText(item.contentHtml);
  const summary = htmlToText(item.summary) ?? (content ? truncate(content, 400) : undefined);
  return {
    id,
    feed: feed.id,
    url,
    title,
    summary,
    content,
    contentHtml: item.contentHtml,
    author: item.author?.trim() || undefined,
    categories: item.categories?.length ? item.categories : undefined,
    language: (item.language ?? parsed.language)?.toLowerCase().split(/[-_]/)[0] || undefined,
    published,
  };
}

/** Normalised items of a feed, without duplicates (first one wins). */
export function normaliseFeed(parsed: ParsedFeed, feed: { id: string; url: string }, now = new Date()): Article[] {
  const seen = new Set<string>();
  const articles: Article[] = [];
  for (const item of parsed.items) {
    const article = normaliseItem(item, feed, parsed, now);
    if (seen.has(article.id)) continue;
    seen.add(article.id);
    articles.push(article);
  }
  return articles;
}

function parseDate(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
