// Adds feeds to feeds.yaml in place: the file is edited through the yaml Document API, so its
// comments, order and formatting stay as they were and new entries are appended to `feeds:`.
// A feed whose URL is already listed is skipped; ids are slugs made unique within the file.

import { isMap, isSeq, parseDocument, type YAMLMap } from 'yaml';
import { feedsFileSchema } from './schema.js';
import { editableDocument, topLevelList } from './yaml-edit.js';

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
  for (const feed of feeds) {
    if (!/^https?:\/\//i.test(feed.url) || !URL.canParse(feed.url)) {
      skipped.push({ url: feed.url, reason: 'not an http(s) URL' });
      continue;
    }
    if (urls.has(normaliseUrl(feed.url))) {
      skipped.push({ url: feed.url, reason: 'already in feeds.yaml' });
      continue;
    }
    const id = uniqueId(slugFor(feed), ids);
    ids.add(id);
    urls.add(normaliseUrl(feed.url));
    const entry: Record<string, unknown> = { id, url: feed.url };
    if (feed.title) entry.title = feed.title;
    if (feed.tags.length > 0) entry.tags = feed.tags;
    const node = doc.createNode(entry) as YAMLMap;
    const tags = node.get('tags', true);
    if (isSeq(tags)) tags.flow = true;
    seq.add(node);
    added.push({ id, url: feed.url });
  }
  if (seq.flow && seq.items.length > 0) seq.flow = false;

  const result = doc.toString();
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
