// Raw feed items to Articles. Rules: links are resolved against the feed's URL and any xml:base,
// made absolute and stripped of tracking parameters and fragments; the id is the guid, else the
// canonical link, else a hash of title and date; title and summary become clean text (tags
// dropped, the text of script, style, noscript and other non-text elements left out, blocks
// and line breaks kept apart by a space, C1 control characters read as the windows-1252
// punctuation they meant); content HTML is read for its text and kept, from the same parse,
// with its links made absolute (unless the caller leaves it out: the poll worker queues text
// only); a missing, unreadable or far-future date becomes the time first seen; the language is
// the item's, else the feed's, else detected. Every field is bounded (bounds.ts).

import { createHash } from 'node:crypto';
import type { CheerioAPI } from 'cheerio';
import type { AnyNode } from 'domhandler';
import { toOneLineText } from '../extract/text.js';
import type { Article } from './article.js';
import { boundArticle, boundHtml, boundId, boundText, FIELD_LIMITS, precut } from './bounds.js';
import { fixC1Controls } from './charset.js';
import { parseFeedDate } from './dates.js';
import { parseHtmlFragment } from './html-dom.js';
import { oneLine, simpleHtmlText } from './html-text.js';
import { detectLanguage, languageCode } from './language.js';
import type { ParsedFeed, RawItem } from './parse.js';

const TRACKING_PARAM = /^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|_ga|igshid|yclid)$/i;
/** A date more than this far ahead is a feed's mistake (or a time zone's), not news from the future. */
const FUTURE_TOLERANCE_MS = 86_400_000;
/** A summary made from the content when the feed gives none: the first lines, as a teaser. */
const AUTO_SUMMARY_LENGTH = 400;

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

/** Text of an HTML fragment: tags stripped, entities decoded, non-text elements left out, white space folded. */
export function htmlToText(html: string | undefined): string | undefined {
  if (!html) return undefined;
  if (isMarkup(html)) {
    // Most feed HTML is simple enough to read without a DOM, to the same text (html-text.ts).
    const simple = simpleHtmlText(html);
    return simple === undefined ? parsedText(parseHtmlFragment(html)) : fixC1Controls(simple) || undefined;
  }
  return oneLine(fixC1Controls(html)) || undefined;
}

/** Text without tags or entities is read as it is. */
const isMarkup = (html: string) => html.includes('<') || html.includes('&');

/** The text of parsed HTML on one line (C1 characters are not white space: fixing them after the folding is the same). */
const parsedText = ($: CheerioAPI) => fixC1Controls(toOneLineText($.root()[0] as AnyNode)) || undefined;

/** The feed's own title (as text), link (absolute) and language, as `parse-feed` shows them. */
export function feedInfo(parsed: ParsedFeed, feedUrl: string): { title?: string; link?: string; language?: string } {
  const link = canonicalUrl(parsed.link, itemBase(feedUrl, parsed.base ? [parsed.base] : undefined)) ?? parsed.link;
  return { title: htmlToText(parsed.title), link, language: parsed.language };
}

/** The base for an item's relative links: the feed's URL with each xml:base applied in turn. */
export function itemBase(feedUrl: string, bases: string[] | undefined): string {
  let base = feedUrl;
  for (const b of bases ?? []) {
    try {
      base = new URL(b, base).toString();
    } catch {
      // An unusable xml:base is ignored, as a browser would.
    }
  }
  return base;
}

const hasLinks = (html: string) => /\s(?:href|src)\s*=/i.test(html);

/** The parsed HTML serialised with its href/src made absolute, so it still works in an email or another site. */
function absoluteLinks($: CheerioAPI, base: string): string {
  $('[href], [src]').each((_, el) => {
    for (const attr of ['href', 'src']) {
      const value = $(el).attr(attr);
      if (value === undefined || /^(?:[a-z][a-z0-9+.-]*:|#)/i.test(value.trim())) continue;
      try {
        $(el).attr(attr, new URL(value.trim(), base).toString());
      } catch {
        // Leave what cannot be resolved.
      }
    }
  });
  return $.html();
}

/**
 * An item's content as text and, with `keepHtml`, as HTML with absolute links, from one parse
 * (links do not change the text, so it is read before they are rewritten).
 */
function contentFields(html: string | undefined, base: string, keepHtml: boolean): { content?: string; contentHtml?: string } {
  if (!html || !isMarkup(html) || !keepHtml) return { content: htmlToText(html), contentHtml: keepHtml ? html : undefined };
  const $ = parseHtmlFragment(html);
  const content = parsedText($);
  return { content, contentHtml: hasLinks(html) ? absoluteLinks($, base) : html };
}

/** "desk@example.org (Jane Doe)" and "Jane Doe (desk@example.org)" → "Jane Doe"; a bare address stays. */
export function authorName(author: string | undefined): string | undefined {
  const text = htmlToText(author);
  if (!text) return undefined;
  return /^\S+@\S+\s*\((.+)\)$/.exec(text)?.[1]?.trim() || /^(.+?)\s*\(\S+@\S+\)$/.exec(text)?.[1]?.trim() || text;
}

/**
 * What identifies an item within its feed: its guid (else link, else a hash), or with `link` —
 * for feeds known to reuse guids — its link (else guid, else a hash).
 */
export type ItemIdentity = 'guid' | 'link';

export interface FeedRef {
  id: string;
  url: string;
  identity?: ItemIdentity;
}

export interface NormaliseOptions {
  /**
   * Keep the content HTML (with absolute links); default true. The pipeline queues articles
   * without it (withoutHtml), so the poll worker passes false and the HTML is never rebuilt.
   */
  html?: boolean;
  /**
   * Ids already taken in (the poll passes those of the feed's last read): an item with one of
   * them is only identified, not read, and comes back in `knownIds`. Most polls of a changed
   * feed find one or two new items among dozens, and reading an item's text (HTML to text,
   * language detection) is most of the work.
   */
  known?: readonly string[];
}

/** An item's id, bounded as the article's (see normaliseItem), and what finding it took: its links' base, its URL and, for a hashed id, its title. */
interface ItemKey {
  id: string;
  base: string;
  url?: string;
  /** Present when the id is a hash of the title: the title as text. */
  hashedTitle?: { title?: string };
}

function itemKey(item: RawItem, feed: FeedRef): ItemKey {
  const base = itemBase(feed.url, item.bases);
  const guidUrl = item.guid && /^https?:\/\//i.test(item.guid) ? item.guid : undefined;
  const url = canonicalUrl(item.link, base) ?? canonicalUrl(guidUrl, base);
  const guid = item.guid?.trim();
  const id = feed.identity === 'link' ? url || guid : guid || url;
  if (id) return { id: boundId(id), base, url };
  const title = htmlToText(precut(item.title, FIELD_LIMITS.title));
  const hash = createHash('sha256').update(`${title ?? ''}\u0000${item.published ?? ''}`).digest('hex').slice(0, 32);
  return { id: hash, base, url, hashedTitle: { title } };
}

export function normaliseItem(item: RawItem, feed: FeedRef, parsed: ParsedFeed, now: Date, options: NormaliseOptions = {}, key = itemKey(item, feed)): Article {
  const { id, base, url } = key;
  const title = key.hashedTitle ? key.hashedTitle.title : htmlToText(precut(item.title, FIELD_LIMITS.title));
  const published = publishedTime(item.published, now);
  const { content, contentHtml } = contentFields(boundHtml(item.contentHtml && fixC1Controls(item.contentHtml), FIELD_LIMITS.contentHtml), base, options.html ?? true);
  const summary = htmlToText(precut(item.summary, FIELD_LIMITS.summary)) ?? (content ? boundText(content, AUTO_SUMMARY_LENGTH) : undefined);
  const language =
    languageCode(item.language) ?? languageCode(parsed.language) ?? detectLanguage([...new Set([title, summary, content].filter(Boolean))].join('. '));
  return boundArticle({
    id,
    feed: feed.id,
    url,
    title,
    summary,
    content,
    contentHtml,
    author: authorName(precut(item.author, FIELD_LIMITS.author)),
    categories: item.categories?.length
      ? item.categories.slice(0, FIELD_LIMITS.categories).map((c) => htmlToText(precut(c, FIELD_LIMITS.category)) ?? c)
      : undefined,
    language,
    published,
  });
}

export interface NormalisedItems {
  items: Article[];
  /** The ids of items left unread because `options.known` holds them, in feed order. */
  knownIds: string[];
  /** Items dropped because an earlier item of the feed has the same id (a reused guid). */
  repeatedIds: number;
}

/** Normalised items of a feed, without duplicates (first one wins), and how many were dropped. */
export function normaliseFeedItems(parsed: ParsedFeed, feed: FeedRef, now = new Date(), options: NormaliseOptions = {}): NormalisedItems {
  const known = new Set(options.known);
  const seen = new Set<string>();
  const items: Article[] = [];
  const knownIds: string[] = [];
  // Items parseFeed only identified (known ones) come in at their place among the others.
  const identified = parsed.identified ?? [];
  const total = parsed.items.length + identified.length;
  for (let position = 0, read = 0, next = 0; position < total; position++) {
    if (identified[next]?.index === position) {
      const { id } = identified[next++]!;
      if (seen.has(id)) continue;
      seen.add(id);
      knownIds.push(id);
      continue;
    }
    const item = parsed.items[read++]!;
    const key = itemKey(item, feed);
    if (seen.has(key.id)) continue;
    seen.add(key.id);
    if (known.has(key.id)) knownIds.push(key.id);
    else items.push(normaliseItem(item, feed, parsed, now, options, key));
  }
  return { items, knownIds, repeatedIds: total - items.length - knownIds.length };
}

/** Normalised items of a feed, without duplicates (first one wins). */
export function normaliseFeed(parsed: ParsedFeed, feed: FeedRef, now = new Date()): Article[] {
  return normaliseFeedItems(parsed, feed, now).items;
}

function publishedTime(value: string | undefined, now: Date): string {
  const iso = parseFeedDate(value);
  if (!iso || Date.parse(iso) > now.getTime() + FUTURE_TOLERANCE_MS) return now.toISOString();
  return iso;
}
