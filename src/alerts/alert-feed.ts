// Alerts as feeds: the stories a subscription or a rule matched (alert-feed-store.ts) as Atom 1.0
// and JSON Feed, so people can follow alerts in the feed reader they already use. Pure: the
// caller reads the entries and builds the links. Each entry shows the article's summary with the
// matched words marked and lists them; all article text is escaped (the `feed` package writes
// the XML), and characters XML cannot carry are dropped.

import { Feed } from 'feed';
import type { Article } from '../feeds/article.js';
import type { MatchedRule } from '../queue/jobs.js';
import type { AlertFeedEntry } from './alert-feed-store.js';
import { escapeHtml } from './render-email.js';

/** Matched words kept per story. */
const MAX_WORDS = 20;
const WORD_CHARS = 100;

/** The distinct words of the article the rules' hits point at, in order of first appearance. */
export function matchedWords(article: Pick<Article, 'title' | 'summary' | 'content'>, rules: Pick<MatchedRule, 'hits'>[]): string[] {
  const seen = new Map<string, string>();
  for (const hit of rules.flatMap((r) => r.hits)) {
    const field = hit.field === 'title' || hit.field === 'summary' || hit.field === 'content' ? article[hit.field] : undefined;
    const word = (field?.slice(hit.start, hit.end) ?? '').trim().slice(0, WORD_CHARS);
    if (word && !seen.has(word.toLowerCase())) seen.set(word.toLowerCase(), word);
    if (seen.size >= MAX_WORDS) break;
  }
  return [...seen.values()];
}

export interface AlertFeedMeta {
  /** "Subscription s-1a2b: ukraine ceasefire", "Rule: Ceasefire talks". */
  title: string;
  /** Stable id of the feed (a URN; the links carry a token and may change with the secret). */
  id: string;
  atomUrl: string;
  jsonUrl: string;
  /** PUBLIC_URL. */
  home: string;
}

// Characters XML 1.0 cannot carry; a feed with one would not parse.
const NOT_XML = /(?![\t\n\r])\p{Cc}|\p{Cs}|[\ufffe\uffff]/gu;
const clean = (text: string | undefined) => (text ?? '').replace(NOT_XML, '');

/**
 * `asHtml`: Atom entries' titles and summaries are written as type="html" by the `feed` package,
 * so the plain text of articles is escaped for them (a title "<b>x</b>" shows as written); JSON
 * Feed titles and summaries are plain text.
 */
function build(meta: AlertFeedMeta, entries: AlertFeedEntry[], asHtml: boolean): Feed {
  const text = (value: string | undefined) => (asHtml ? escapeHtml(clean(value)) : clean(value));
  const feed = new Feed({
    title: clean(meta.title),
    id: meta.id,
    link: meta.home,
    description: 'Stories Newswatch matched, newest first.',
    updated: entries[0] ? new Date(entries[0].matchedAt) : new Date(0),
    generator: 'Newswatch',
    feedLinks: { atom: meta.atomUrl, json: meta.jsonUrl },
    copyright: '',
  });
  for (const entry of entries) {
    const words = entry.words.map(clean);
    feed.addItem({
      title: text(entry.title) || '(no title)',
      id: `urn:newswatch:story:${entry.storyId}`,
      link: entry.url ?? meta.home,
      date: new Date(entry.matchedAt),
      published: entry.published && !Number.isNaN(Date.parse(entry.published)) ? new Date(entry.published) : undefined,
      description: text(entry.summary),
      content: contentHtml(entry, words),
      category: words.map((w) => ({ name: w })),
      extensions: [{ name: '_newswatch', objects: { matchedWords: words, rules: entry.rules.map(clean), source: clean(entry.source) } }],
    });
  }
  return feed;
}

function contentHtml(entry: AlertFeedEntry, words: string[]): string {
  const summary = clean(entry.summary);
  const marked = words.length > 0 ? markWords(summary, words) : escapeHtml(summary);
  return [
    summary ? `<p>${marked}</p>` : '',
    `<p>${escapeHtml(clean(entry.source))} · matched ${escapeHtml(entry.rules.map(clean).join(', '))}${words.length > 0 ? `: ${words.map((w) => `<mark>${escapeHtml(w)}</mark>`).join(', ')}` : ''}</p>`,
  ].join('');
}

/** The text escaped, each occurrence of a matched word wrapped in <mark>. */
function markWords(text: string, words: string[]): string {
  const pattern = new RegExp(words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'giu');
  let out = '';
  let at = 0;
  for (const m of text.matchAll(pattern)) {
    out += `${escapeHtml(text.slice(at, m.index))}<mark>${escapeHtml(m[0])}</mark>`;
    at = m.index + m[0].length;
  }
  return out + escapeHtml(text.slice(at));
}

export const renderAtom = (meta: AlertFeedMeta, entries: AlertFeedEntry[]): string => build(meta, entries, true).atom1();

/** JSON Feed 1 (what the `feed` package writes); each item carries `_newswatch.matchedWords`. */
export const renderJsonFeed = (meta: AlertFeedMeta, entries: AlertFeedEntry[]): string => build(meta, entries, false).json1();
