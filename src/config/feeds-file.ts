// Adds feeds to feeds.yaml in place: new entries are appended to `feeds:` and the rest of the
// file stays byte for byte as it was (yaml-edit.ts). A feed whose URL is already listed, or that
// the import lists twice, is skipped; ids are slugs made unique within the file.

import { isMap, parseDocument } from 'yaml';
import { feedsFileSchema } from './schema.js';
import { appendEntries, editableDocument, topLevelList, type NewEntry } from './yaml-edit.js';

export interface NewFeed {
  url: string;
  title?: string;
  tags: string[];
}

export interface AddFeedsResult {
  text: string;
  added: { id: string; url: string }[];
  skipped: { url: string; reason: string }[];
}

export function addFeeds(text: string, feeds: NewFeed[], file = 'feeds.yaml'): AddFeedsResult {
  const doc = editableDocument(text, 'feeds', file);
  const seq = topLevelList(doc, 'feeds', file);
  const ids = new Set<string>();
  const urls = new Set<string>();
  for (const item of seq.items) {
    if (!isMap(item)) continue;
    const id = item.get('id');
    const url = item.get('url');
    if (typeof id === 'string') ids.add(id);
    if (typeof url === 'string') urls.add(normaliseUrl(url));
  }

  const added: AddFeedsResult['added'] = [];
  const skipped: AddFeedsResult['skipped'] = [];
  const entries: NewEntry[] = [];
  const fromOpml = new Set<string>();
  for (const feed of feeds) {
    if (!/^https?:\/\//i.test(feed.url) || !URL.canParse(feed.url)) {
      skipped.push({ url: feed.url, reason: 'not an http(s) URL' });
      continue;
    }
    const url = normaliseUrl(feed.url);
    if (urls.has(url) || fromOpml.has(url)) {
      skipped.push({ url: feed.url, reason: urls.has(url) ? 'already in feeds.yaml' : 'listed twice in the OPML' });
      continue;
    }
    const id = uniqueId(slugFor(feed), ids);
    ids.add(id);
    fromOpml.add(url);
    const entry: Record<string, unknown> = { id, url: feed.url };
    if (feed.title) entry.title = feed.title;
    if (feed.tags.length > 0) entry.tags = feed.tags;
    entries.push({ value: entry });
    added.push({ id, url: feed.url });
  }
  const result = appendEntries(text, 'feeds', entries, file, true);
  const check = feedsFileSchema.safeParse(parseDocument(result).toJS() ?? {});
  if (!check.success) throw new Error(`${file}: the file would not validate after the import (${check.error.issues[0]?.message}); nothing was written`);
  return { text: result, added, skipped };
}

/** A slug id from the title, else from the host name: "BBC News — World" → "bbc-news-world". */
export function slugFor(feed: { url: string; title?: string }): string {
  const slug = (s: string) =>
    s
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40)
      .replace(/-+$/, '');
  const fromTitle = feed.title ? slug(feed.title) : '';
  if (fromTitle.length >= 3) return fromTitle;
  const host = new URL(feed.url).hostname.replace(/^(www|feeds?|rss)\./, '');
  return slug(host) || 'feed';
}

function uniqueId(base: string, taken: Set<string>): string {
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

function normaliseUrl(url: string): string {
  return url.trim().replace(/\/+$/, '').toLowerCase();
}
