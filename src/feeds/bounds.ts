// Every field an article brings is bounded where it enters (normalise.ts for feed items,
// article.ts withPage for page text), so nothing a feed or a page says can flood a log line, the
// run-once summary, a webhook body or an email subject. Rules (docs/feeds.md, "Limits"):
// - text (title, summary, content, author, each category) is cut on a word boundary and ends
//   with "…", the ellipsis counted in the limit; a surrogate pair is never split;
// - content HTML is cut before the tag it would split, then ends with "…" (HTML parsers close
//   what is left open);
// - an over-long id is replaced by a hash of itself, which stays stable and unique (a cut id
//   could make two items one);
// - an over-long URL is dropped, not cut: a cut URL points somewhere else. The item then keeps its
//   id by the usual fallbacks and is still matched, without a link.

import { createHash } from 'node:crypto';
import type { Article } from './article.js';

export const FIELD_LIMITS = {
  title: 300,
  summary: 1_000,
  author: 200,
  category: 100,
  categories: 50,
  content: 100_000,
  contentHtml: 200_000,
  id: 512,
  url: 2_048,
} as const;

const ELLIPSIS = '…';

/** The text cut to at most `max` characters on a word boundary, with an ellipsis; unchanged when short enough. */
export function boundText(text: string, max: number): string;
export function boundText(text: string | undefined, max: number): string | undefined;
export function boundText(text: string | undefined, max: number): string | undefined {
  if (text === undefined || text.length <= max) return text;
  const cut = text.slice(0, safeEnd(text, max - ELLIPSIS.length));
  const space = cut.search(/\s\S*$/);
  // A word boundary in the last 40 % is worth the loss; a single huge "word" is cut where it is.
  return `${(space > cut.length * 0.6 ? cut.slice(0, space) : cut).trimEnd()}${ELLIPSIS}`;
}

/** HTML cut to at most `max` characters before any tag it would split, with an ellipsis. */
export function boundHtml(html: string | undefined, max: number): string | undefined {
  if (html === undefined || html.length <= max) return html;
  const cut = html.slice(0, safeEnd(html, max - ELLIPSIS.length));
  const open = cut.lastIndexOf('<');
  return `${open > cut.lastIndexOf('>') ? cut.slice(0, open) : cut}${ELLIPSIS}`;
}

/** The id, or a hash of it when it is longer than the limit. */
export function boundId(id: string): string {
  return id.length <= FIELD_LIMITS.id ? id : `sha256:${createHash('sha256').update(id).digest('hex')}`;
}

/** The URL, or undefined when it is longer than the limit. */
export function boundUrl(url: string | undefined): string | undefined {
  return url !== undefined && url.length <= FIELD_LIMITS.url ? url : undefined;
}

/** The article with every field within FIELD_LIMITS. */
export function boundArticle(article: Article): Article {
  const categories = article.categories?.slice(0, FIELD_LIMITS.categories).map((c) => boundText(c, FIELD_LIMITS.category));
  return {
    ...article,
    id: boundId(article.id),
    url: boundUrl(article.url),
    title: boundText(article.title, FIELD_LIMITS.title),
    summary: boundText(article.summary, FIELD_LIMITS.summary),
    content: boundText(article.content, FIELD_LIMITS.content),
    contentHtml: boundHtml(article.contentHtml, FIELD_LIMITS.contentHtml),
    author: boundText(article.author, FIELD_LIMITS.author),
    categories: categories?.length ? categories : undefined,
  };
}

/**
 * The raw value cut well beyond its field's limit before it is parsed, so a 9 MB title costs no
 * 9 MB HTML parse; what is left still gives more text than the field keeps.
 */
export function precut(raw: string | undefined, limit: number): string | undefined {
  return raw === undefined || raw.length <= limit * 16 ? raw : raw.slice(0, limit * 16);
}

/** An end index that does not split a surrogate pair. */
function safeEnd(text: string, end: number): number {
  const code = text.charCodeAt(end - 1);
  return code >= 0xd800 && code <= 0xdbff ? end - 1 : end;
}
