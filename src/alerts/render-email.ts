// Emails for alerts and digests, as HTML and plain text from the same parts. All article-derived
// text is escaped; no remote images; the plain-text part reads well on its own (matched words
// between asterisks, as <mark> in HTML, in the headline too). Times are shown
// in the subscription's time zone. Pure: the unsubscribe URL is computed by the caller.

import type { DigestEntry } from './digest-store.js';
import { formatTime, snippetOf, type Alert, type Snippet } from './alert.js';

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
  messageId: string;
  headers: Record<string, string>;
}

export interface EmailContext {
  timezone: string;
  /** One-click unsubscribe endpoint (RFC 8058); headers and a footer link when given. */
  unsubscribeUrl?: string;
  /** A mailto: URI for List-Unsubscribe beside the HTTPS one (RFC 2369), when the operator reads such mail. */
  unsubscribeMailto?: string;
  /** The page listing the address's subscriptions (signed link); a footer link when given. */
  manageUrl?: string;
  domain?: string;
}

interface Story {
  /** The title (or URL), with the words found in the title to highlight. */
  headline: Snippet;
  url?: string;
  source: string;
  when: string;
  snippet: Snippet;
  also: { source: string; url?: string }[];
}

export const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

export function renderAlertEmail(alert: Alert, ctx: EmailContext): RenderedEmail {
  const story = storyOf({ ...alert, also: [] }, ctx.timezone);
  const ruleNames = alert.rules.map((r) => r.name).join(', ');
  const footer = `Matched: ${ruleNames}\nNewswatch alert for subscription "${alert.subscriptionId}"`;
  const text = [storyText(story), '', footer, unsubscribeText(ctx)].filter((l) => l !== undefined).join('\n');
  const html = page(
    `${storyHtml(story, 'h2')}
<p style="color:#555;font-size:0.9em">Matched: ${escapeHtml(ruleNames)}<br>Newswatch alert for subscription “${escapeHtml(alert.subscriptionId)}”${unsubscribeHtml(ctx)}</p>`,
  );
  return { subject: `${ruleNames}: ${story.headline.text}`, text: `${text}\n`, html, messageId: messageId(alert.id, ctx), headers: listHeaders(ctx) };
}

export interface DigestInput {
  subscriptionId: string;
  digestId: string;
  entries: DigestEntry[];
  omitted: number;
  /** Rule ids in the subscription's order, to group by; names for headings. */
  ruleOrder: string[];
  ruleNames: Map<string, string>;
}

/** Stories grouped under the first of the subscription's rules they matched, newest first. */
export function groupDigest(input: Pick<DigestInput, 'entries' | 'ruleOrder'>): { ruleId: string; entries: DigestEntry[] }[] {
  const groups = new Map<string, DigestEntry[]>(input.ruleOrder.map((id) => [id, []]));
  for (const entry of input.entries) {
    const ids = new Set(entry.rules.map((r) => r.id));
    const ruleId = input.ruleOrder.find((id) => ids.has(id)) ?? entry.rules[0]?.id ?? '';
    if (!groups.has(ruleId)) groups.set(ruleId, []);
    groups.get(ruleId)?.push(entry);
  }
  const time = (e: DigestEntry) => Date.parse(e.article.published ?? e.matchedAt) || 0;
  return [...groups.entries()]
    .filter(([, entries]) => entries.length > 0)
    .map(([ruleId, entries]) => ({ ruleId, entries: entries.sort((a, b) => time(b) - time(a)) }));
}

export function renderDigestEmail(input: DigestInput, ctx: EmailContext): RenderedEmail {
  const groups = groupDigest(input);
  const count = input.entries.length + input.omitted;
  const names = groups.map((g) => input.ruleNames.get(g.ruleId) ?? g.ruleId);
  const subject = `Newswatch digest: ${count} ${count === 1 ? 'story' : 'stories'} — ${names.join(', ')}`;
  const more = input.omitted > 0 ? `… and ${input.omitted} more ${input.omitted === 1 ? 'story' : 'stories'} not listed here.` : undefined;

  const textParts: string[] = [];
  const htmlParts: string[] = [];
  groups.forEach((group, i) => {
    const name = names[i] as string;
    textParts.push(`== ${name} (${group.entries.length}) ==`, '');
    htmlParts.push(`<h2 style="border-bottom:1px solid #ccc">${escapeHtml(name)} <small style="color:#555">(${group.entries.length})</small></h2>`);
    for (const entry of group.entries) {
      const story = storyOf(entry, ctx.timezone);
      textParts.push(storyText(story), '');
      htmlParts.push(storyHtml(story, 'h3'));
    }
  });
  if (more) {
    textParts.push(more, '');
    htmlParts.push(`<p><em>${escapeHtml(more)}</em></p>`);
  }
  const footer = `Newswatch digest for subscription "${input.subscriptionId}"`;
  textParts.push(footer);
  const unsub = unsubscribeText(ctx);
  if (unsub) textParts.push(unsub);
  const html = page(`${htmlParts.join('\n')}\n<p style="color:#555;font-size:0.9em">${escapeHtml(footer)}${unsubscribeHtml(ctx)}</p>`);
  return { subject, text: `${textParts.join('\n')}\n`, html, messageId: messageId(`g-${input.digestId}`, ctx), headers: listHeaders(ctx) };
}

function storyOf(entry: Pick<DigestEntry, 'article' | 'rules' | 'source' | 'matchedAt' | 'also'>, timezone: string): Story {
  const { title } = entry.article;
  const titleHits = title ? entry.rules.flatMap((r) => r.hits).filter((h) => h.field === 'title' && h.end <= title.length) : [];
  return {
    headline: { text: title ?? entry.article.url ?? '(untitled article)', highlights: titleHits },
    url: entry.article.url,
    source: entry.source,
    when: formatTime(entry.article.published ?? entry.matchedAt, timezone),
    snippet: snippetOf(entry),
    also: entry.also,
  };
}

/** Says where the words of the snippet were found when that was the article page, not the feed. */
const fromArticle = (snippet: Snippet) => snippet.from === 'content' && snippet.highlights.length > 0;

function storyText(s: Story): string {
  const lines = [markText(s.headline), `${s.source}${s.when ? ` · ${s.when}` : ''}`];
  if (s.snippet.text) lines.push(`${fromArticle(s.snippet) ? 'In the article: ' : ''}${markText(s.snippet)}`);
  if (s.url) lines.push(`Read: ${s.url}`);
  if (s.also.length > 0) lines.push(`Also reported by: ${s.also.map((a) => (a.url ? `${a.source} <${a.url}>` : a.source)).join(', ')}`);
  return lines.join('\n');
}

function storyHtml(s: Story, heading: 'h2' | 'h3'): string {
  const title = s.url ? `<a href="${escapeHtml(s.url)}">${highlightHtml(s.headline)}</a>` : highlightHtml(s.headline);
  const also =
    s.also.length > 0
      ? `<p style="color:#555;font-size:0.9em">Also reported by: ${s.also
          .map((a) => (a.url ? `<a href="${escapeHtml(a.url)}">${escapeHtml(a.source)}</a>` : escapeHtml(a.source)))
          .join(', ')}</p>`
      : '';
  return `<${heading} style="margin-bottom:0.2em">${title}</${heading}>
<p style="color:#555;margin-top:0">${escapeHtml(s.source)}${s.when ? ` · ${escapeHtml(s.when)}` : ''}</p>
${s.snippet.text ? `<p>${fromArticle(s.snippet) ? '<span style="color:#555">In the article:</span> ' : ''}${highlightHtml(s.snippet)}</p>` : ''}${also}`;
}

function page(body: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"></head><body style="font-family:sans-serif;max-width:40em">
${body}
</body></html>
`;
}

/** The snippet's text with each highlight wrapped by `mark`, the text between through `plain`. */
function marked({ text, highlights }: Pick<Snippet, 'text' | 'highlights'>, plain: (s: string) => string, mark: (s: string) => string): string {
  let out = '';
  let at = 0;
  for (const r of [...highlights].sort((a, b) => a.start - b.start)) {
    if (r.start < at) continue;
    out += plain(text.slice(at, r.start)) + mark(plain(text.slice(r.start, r.end)));
    at = r.end;
  }
  return out + plain(text.slice(at));
}

/** The snippet's text escaped, its highlights in <mark>. */
export const highlightHtml = (snippet: Pick<Snippet, 'text' | 'highlights'>): string => marked(snippet, escapeHtml, (s) => `<mark>${s}</mark>`);

/** The snippet for a plain-text part, its highlights between asterisks: "the *ceasefire* held". */
export const markText = (snippet: Pick<Snippet, 'text' | 'highlights'>): string => marked(snippet, (s) => s, (s) => `*${s}*`);

const messageId = (id: string, ctx: EmailContext) => `<${id}@${ctx.domain ?? 'newswatch.local'}>`;

function listHeaders(ctx: EmailContext): Record<string, string> {
  if (!ctx.unsubscribeUrl) return {};
  const targets = [ctx.unsubscribeUrl, ctx.unsubscribeMailto].filter(Boolean).map((t) => `<${t}>`);
  return { 'List-Unsubscribe': targets.join(', '), 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
}

const unsubscribeText = (ctx: EmailContext) =>
  [ctx.manageUrl && `Manage your alerts: ${ctx.manageUrl}`, ctx.unsubscribeUrl && `Unsubscribe: ${ctx.unsubscribeUrl}`].filter(Boolean).join('\n') || undefined;
const unsubscribeHtml = (ctx: EmailContext) =>
  (ctx.manageUrl ? `<br><a href="${escapeHtml(ctx.manageUrl)}">Manage your alerts</a>` : '') +
  (ctx.unsubscribeUrl ? `<br><a href="${escapeHtml(ctx.unsubscribeUrl)}">Unsubscribe</a>` : '');
