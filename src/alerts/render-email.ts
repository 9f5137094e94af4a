// Email for one alert, as HTML and plain text from the same parts. All article-derived text is
// escaped; no remote images; the plain-text part reads well on its own.

import { formatTime, snippetOf, type Alert } from './alert.js';

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
  messageId: string;
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

export function renderAlertEmail(alert: Alert, domain = 'newswatch.local'): RenderedEmail {
  const { article } = alert;
  const headline = article.title ?? article.url ?? '(untitled article)';
  const ruleNames = alert.rules.map((r) => r.name).join(', ');
  const when = formatTime(article.published ?? alert.matchedAt);
  const snippet = snippetOf(alert);

  const text = [
    headline,
    `${alert.source}${when ? ` · ${when}` : ''}`,
    '',
    snippet.text,
    '',
    article.url ? `Read: ${article.url}` : '',
    '',
    `Matched: ${ruleNames}`,
    `-- Newswatch alert for subscription "${alert.subscriptionId}"`,
  ]
    .filter((line, i, all) => !(line === '' && all[i - 1] === ''))
    .join('\n');

  const link = article.url
    ? `<a href="${escapeHtml(article.url)}">${escapeHtml(headline)}</a>`
    : escapeHtml(headline);
  const html = `<!doctype html>
<html><body style="font-family: sans-serif; max-width: 40em">
<h2 style="margin-bottom: 0.2em">${link}</h2>
<p style="color: #555; margin-top: 0">${escapeHtml(alert.source)}${when ? ` · ${escapeHtml(when)}` : ''}</p>
<p>${highlightHtml(snippet.text, snippet.highlights)}</p>
<p style="color: #555; font-size: 0.9em">Matched: ${escapeHtml(ruleNames)}<br>Newswatch alert for subscription “${escapeHtml(alert.subscriptionId)}”</p>
</body></html>
`;
  return {
    subject: `${ruleNames}: ${headline}`,
    text: `${text}\n`,
    html,
    messageId: `<${alert.id}@${domain}>`,
  };
}

function highlightHtml(text: string, ranges: { start: number; end: number }[]): string {
  let out = '';
  let at = 0;
  for (const r of [...ranges].sort((a, b) => a.start - b.start)) {
    if (r.start < at) continue;
    out += escapeHtml(text.slice(at, r.start)) + `<mark>${escapeHtml(text.slice(r.start, r.end))}</mark>`;
    at = r.end;
  }
  return out + escapeHtml(text.slice(at));
}
