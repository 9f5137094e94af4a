// What an alert is, whatever the channel: one article for one subscription, with the rules it
// matched and where. Also the snippet logic email, digest and webhook share: the text that shows
// why it matched (a window of the summary, or the sentences of the article's text that hold the
// words), with hit ranges to highlight.

import type { Article } from '../feeds/article.js';
import type { MatchedRule } from '../queue/jobs.js';

export interface Alert {
  id: string;
  subscriptionId: string;
  storyId: string;
  article: Article;
  rules: MatchedRule[];
  /** Feed display name (its configured title, else its id). */
  source: string;
  matchedAt: string;
  /** Made where the match was (the article worker), when the alert carries no article text. */
  snippet?: Snippet;
}

export interface Snippet {
  text: string;
  /** Ranges into `text` to highlight. */
  highlights: { start: number; end: number }[];
  /** The article field the text comes from: the feed's summary, or the article's text (content). */
  from?: 'summary' | 'content';
}

type Hit = MatchedRule['hits'][number];

/** A window of the summary (or of text without sentences) around the first hit. */
const SNIPPET_CHARS = 280;
/** The sentences of the article's text that hold hits: at most this many, and this long together. */
const EXCERPT_SENTENCES = 2;
const EXCERPT_CHARS = 400;

/**
 * Why the article matched, as text to show: when the words are in the feed's summary, a window
 * of it around the first; when they were found only in the article's text (its page), the
 * sentences holding them, whole, so the reader sees them in context. Without hits in either (a
 * title-only match), the summary's opening. An alert that carries its snippet (forDelivery) has that one.
 */
export function snippetOf(alert: Pick<Alert, 'article' | 'rules' | 'snippet'>): Snippet {
  if (alert.snippet) return alert.snippet;
  const { article } = alert;
  const hits = alert.rules.flatMap((r) => r.hits);
  const fields = (['summary', 'content'] as const).filter((f) => article[f]);
  const field = fields.find((f) => hits.some((h) => h.field === f)) ?? fields[0];
  const text = field ? (article[field] as string) : '';
  if (!field || !text) return { text: '', highlights: [] };
  const fieldHits = uniqueHits(hits.filter((h) => h.field === field));
  if (field === 'content' && fieldHits.length > 0) {
    const excerpt = sentenceExcerpt(text, fieldHits);
    if (excerpt) return { ...excerpt, from: field };
  }
  return { ...windowAround(text, fieldHits, field === 'content' ? EXCERPT_CHARS : SNIPPET_CHARS), from: field };
}

/**
 * An alert as its delivery job carries it: with its snippet, made now, and the article without
 * its text (content), the bulk of an article and of the job's JSON, which the alert shows only
 * through the snippet. The delivery renders the same alert as from the whole article.
 */
export function forDelivery<T extends Pick<Alert, 'article' | 'rules'>>(alert: T): T & { snippet: Snippet } {
  const { content: _content, contentHtml: _html, ...article } = alert.article;
  return { ...alert, article, snippet: snippetOf(alert) };
}

/** Hits in text order, each place once (several rules or terms may find the same word). */
function uniqueHits(hits: Hit[]): Hit[] {
  const seen = new Set<string>();
  return [...hits]
    .sort((a, b) => a.start - b.start || a.end - b.end)
    .filter((h) => {
      const key = `${h.start}:${h.end}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

/** Ranges of `hits` that lie inside [from, to), as offsets into the shown text. */
function shifted(hits: Hit[], from: number, to: number, offset: number): Snippet['highlights'] {
  return hits.filter((h) => h.start >= from && h.end <= to).map((h) => ({ start: h.start - offset, end: h.end - offset }));
}

function windowAround(text: string, fieldHits: Hit[], chars: number): Snippet {
  const first = fieldHits[0];
  const from = first ? wordStart(text, Math.max(0, first.start - 80)) : 0;
  const to = Math.min(text.length, from + chars);
  const raw = text.slice(from, to);
  const window = raw.trim();
  const lead = from > 0 ? '…' : '';
  const tail = to < text.length ? '…' : '';
  // Maps an offset in the field to one in the snippet shown.
  const offset = from + (raw.length - raw.trimStart().length) - lead.length;
  return { text: `${lead}${window}${tail}`, highlights: shifted(fieldHits, from, from + raw.trimEnd().length, offset) };
}

// Sentence boundaries as ICU finds them (abbreviations, quotes, many scripts), not a regex.
const sentences = new Intl.Segmenter(undefined, { granularity: 'sentence' });

/**
 * The first sentences of `text` holding hits (at most EXCERPT_SENTENCES, EXCERPT_CHARS together),
 * whole, joined by " … " where text between them is left out; undefined when the first such
 * sentence alone is too long (the caller cuts a window instead).
 */
function sentenceExcerpt(text: string, fieldHits: Hit[]): Snippet | undefined {
  const picked: { start: number; end: number }[] = [];
  let length = 0;
  for (const { segment, index } of sentences.segment(text)) {
    const start = index + (segment.length - segment.trimStart().length);
    const end = index + segment.trimEnd().length;
    if (end <= start || !fieldHits.some((h) => h.start >= start && h.end <= end)) continue;
    if (length + (end - start) > EXCERPT_CHARS) break;
    picked.push({ start, end });
    length += end - start;
    if (picked.length === EXCERPT_SENTENCES) break;
  }
  if (picked.length === 0) return undefined;
  let out = '';
  const highlights: Snippet['highlights'] = [];
  let previousEnd = 0;
  for (const { start, end } of picked) {
    const between = text.slice(previousEnd, start);
    if (out === '') out = start > 0 ? '…' : '';
    else out += /\S/.test(between) ? ' … ' : ' ';
    highlights.push(...shifted(fieldHits, start, end, start - out.length));
    out += text.slice(start, end);
    previousEnd = end;
  }
  if (/\S/.test(text.slice(previousEnd))) out += '…';
  return { text: out, highlights };
}

function wordStart(text: string, at: number): number {
  if (at === 0) return 0;
  const space = text.indexOf(' ', at);
  return space === -1 || space - at > 20 ? at : space + 1;
}

const LOCALE = 'en-GB';
/** Formatters kept, most recently used last; a deployment uses a handful of zones, not hundreds. */
const MAX_FORMATTERS = 64;
const formatters = new Map<string, Intl.DateTimeFormat>();

/** The formatter of a zone, built once (building one costs far more than formatting with it). */
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  const key = `${LOCALE}|${timeZone}`;
  let formatter = formatters.get(key);
  if (formatter) {
    formatters.delete(key);
  } else {
    formatter = new Intl.DateTimeFormat(LOCALE, {
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZone,
      timeZoneName: 'short',
    });
    if (formatters.size >= MAX_FORMATTERS) formatters.delete(formatters.keys().next().value!);
  }
  formatters.set(key, formatter);
  return formatter;
}

export function formatTime(iso: string | undefined, timeZone = 'UTC'): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return formatterFor(timeZone).format(date);
}
