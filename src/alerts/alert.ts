// What an alert is, whatever the channel: one article for one subscription, with the rules it
// matched and where. Also the snippet logic both email and webhook use: a window of text around
// the first hit, with hit ranges to highlight.

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
}

export interface Snippet {
  text: string;
  /** Ranges into `text` to highlight. */
  highlights: { start: number; end: number }[];
}

const SNIPPET_CHARS = 280;

export function snippetOf(alert: Pick<Alert, 'article' | 'rules'>): Snippet {
  const { article } = alert;
  const hits = alert.rules.flatMap((r) => r.hits);
  // The text around the first hit shows best why the article matched; without hits in the
  // summary or content (a title-only match), the summary's opening does.
  const fields = (['summary', 'content'] as const).filter((f) => article[f]);
  const field = fields.find((f) => hits.some((h) => h.field === f)) ?? fields[0];
  const text = field ? (article[field] as string) : '';
  if (!field || !text) return { text: '', highlights: [] };
  const fieldHits = hits.filter((h) => h.field === field).sort((a, b) => a.start - b.start);
  const first = fieldHits[0];
  const from = first ? wordStart(text, Math.max(0, first.start - 80)) : 0;
  const to = Math.min(text.length, from + SNIPPET_CHARS);
  const raw = text.slice(from, to);
  const window = raw.trim();
  const lead = from > 0 ? '…' : '';
  const tail = to < text.length ? '…' : '';
  // Maps an offset in the field to one in the snippet shown.
  const offset = from + (raw.length - raw.trimStart().length) - lead.length;
  const highlights = fieldHits
    .filter((h) => h.start >= from && h.end <= from + raw.trimEnd().length)
    .map((h) => ({ start: h.start - offset, end: h.end - offset }));
  return { text: `${lead}${window}${tail}`, highlights };
}

function wordStart(text: string, at: number): number {
  if (at === 0) return 0;
  const space = text.indexOf(' ', at);
  return space === -1 || space - at > 20 ? at : space + 1;
}

export function formatTime(iso: string | undefined, timeZone = 'UTC'): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return new Intl.DateTimeFormat('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZone,
    timeZoneName: 'short',
  }).format(date);
}
