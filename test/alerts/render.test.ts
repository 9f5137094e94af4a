import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { forDelivery, snippetOf, type Alert } from '../../src/alerts/alert.js';
import { emailLinks, manageUrl } from '../../src/alerts/manage.js';
import type { SubscriptionConfig } from '../../src/config/schema.js';
import type { Settings } from '../../src/queue/context.js';
import { renderAlertEmail, renderDigestEmail } from '../../src/alerts/render-email.js';
import { discordPayload, signer, slackPayload, webhookPayload } from '../../src/alerts/webhook.js';

const summary = 'Officials in Kyiv said a ceasefire could start on Monday if monitors are in place.';
const alert: Alert = {
  id: 'd-abc',
  subscriptionId: 'desk',
  storyId: 's1',
  source: 'Test <Wire>',
  matchedAt: '2026-11-24T12:00:00.000Z',
  article: {
    id: 'g1',
    feed: 'wire',
    url: 'https://news.example.org/a?x=1&y=2',
    title: 'Truce <script>alert(1)</script> & talks',
    summary,
    published: '2026-11-24T10:30:00.000Z',
  },
  rules: [
    {
      id: 'ukraine-ceasefire',
      name: 'Ukraine ceasefire talks',
      hits: [
        { term: 'kyiv', field: 'summary', start: summary.indexOf('Kyiv'), end: summary.indexOf('Kyiv') + 4 },
        { term: 'ceasefire', field: 'summary', start: summary.indexOf('ceasefire'), end: summary.indexOf('ceasefire') + 9 },
      ],
    },
  ],
};

describe('renderAlertEmail', () => {
  const email = renderAlertEmail(alert, { timezone: 'UTC' });

  it('names the rule and the headline in the subject', () => {
    expect(email.subject).toBe('Ukraine ceasefire talks: Truce <script>alert(1)</script> & talks');
  });

  it('escapes every article-derived text in the HTML part', () => {
    expect(email.html).not.toContain('<script>');
    expect(email.html).toContain('Truce &lt;script&gt;alert(1)&lt;/script&gt; &amp; talks');
    expect(email.html).toContain('href="https://news.example.org/a?x=1&amp;y=2"');
    expect(email.html).toContain('Test &lt;Wire&gt;');
  });

  it('highlights the matched words of the snippet', () => {
    expect(email.html).toContain('Officials in <mark>Kyiv</mark> said a <mark>ceasefire</mark> could start');
  });

  it('has a readable plain-text part with source, time, snippet and link', () => {
    expect(email.text).toContain('Test <Wire> · 24 Nov 2026, 10:30 UTC');
    expect(email.text).toContain('Officials in *Kyiv* said a *ceasefire* could start on Monday if monitors are in place.');
    expect(email.text).toContain('Read: https://news.example.org/a?x=1&y=2');
    expect(email.text).toContain('Matched: Ukraine ceasefire talks');
  });

  it('names the one-click link in List-Unsubscribe, and a mailto beside it when given', () => {
    expect(email.headers).toEqual({});
    const url = 'https://news.example.org/unsubscribe?s=desk&t=x';
    expect(renderAlertEmail(alert, { timezone: 'UTC', unsubscribeUrl: url }).headers).toEqual({ 'List-Unsubscribe': `<${url}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' });
    const both = renderAlertEmail(alert, { timezone: 'UTC', unsubscribeUrl: url, unsubscribeMailto: 'mailto:leave@example.org?subject=unsubscribe%20desk' });
    expect(both.headers['List-Unsubscribe']).toBe(`<${url}>, <mailto:leave@example.org?subject=unsubscribe%20desk>`);
  });

  it('uses a Message-ID derived from the alert id', () => {
    expect(email.messageId).toBe('<d-abc@newswatch.local>');
  });
});

describe('an alert whose words were found in the article page, not the feed summary', () => {
  const filler = (n: number) => Array.from({ length: n }, (_, i) => `Paragraph ${i + 1} tells of other matters in the region.`).join(' ');
  const content = `${filler(8)} On Tuesday the energy ministry said the ceasefire held overnight in Kyiv and the south. ${filler(8)} Monitors said the ceasefire was the longest so far. ${filler(3)}`;
  const title = 'Talks in Kyiv go on';
  const at = (text: string, word: string, from = 0) => text.indexOf(word, from);
  const first = at(content, 'ceasefire');
  const second = at(content, 'ceasefire', first + 1);
  const pageAlert: Alert = {
    ...alert,
    article: { ...alert.article, title, summary: 'Read the full story on our site.', content },
    rules: [
      {
        id: 'ukraine-ceasefire',
        name: 'Ukraine ceasefire talks',
        hits: [
          { term: 'kyiv', field: 'title', start: at(title, 'Kyiv'), end: at(title, 'Kyiv') + 4 },
          { term: 'ceasefire', field: 'content', start: first, end: first + 9 },
          { term: 'kyiv', field: 'content', start: at(content, 'Kyiv'), end: at(content, 'Kyiv') + 4 },
          { term: 'ceasefire', field: 'content', start: second, end: second + 9 },
        ],
      },
    ],
  };
  const email = renderAlertEmail(pageAlert, { timezone: 'UTC' });

  it('shows the matching sentences of the article, whole, with the words marked, and says where they are from', () => {
    expect(email.html).toContain(
      'In the article:</span> …On Tuesday the energy ministry said the <mark>ceasefire</mark> held overnight in <mark>Kyiv</mark> and the south. … Monitors said the <mark>ceasefire</mark> was the longest so far.…',
    );
    expect(email.html).not.toContain('Paragraph 8 tells');
  });

  it('marks the words in the plain-text part too', () => {
    expect(email.text).toContain('In the article: …On Tuesday the energy ministry said the *ceasefire* held overnight in *Kyiv* and the south. … Monitors said the *ceasefire* was the longest so far.…');
  });

  it('highlights the words found in the title', () => {
    expect(email.html).toContain('>Talks in <mark>Kyiv</mark> go on</a>');
    expect(email.text).toMatch(/^Talks in \*Kyiv\* go on$/m);
    expect(email.subject).toBe('Ukraine ceasefire talks: Talks in Kyiv go on');
  });

  it('bounds the excerpt: at most two sentences, and a long sentence is cut around the word', () => {
    const many = Array.from({ length: 20 }, (_, i) => `Sentence ${i} says ceasefire again.`).join(' ');
    const hits = [...many.matchAll(/ceasefire/g)].map((m) => ({ term: 'ceasefire', field: 'content', start: m.index, end: m.index + 9 }));
    const s = snippetOf({ article: { ...pageAlert.article, content: many }, rules: [{ id: 'r', name: 'r', hits }] });
    expect(s.text).toBe('Sentence 0 says ceasefire again. Sentence 1 says ceasefire again.…');
    const long = `${'word '.repeat(400)}the ceasefire ${'word '.repeat(400)}`;
    const start = at(long, 'ceasefire');
    const cut = snippetOf({ article: { ...pageAlert.article, content: long }, rules: [{ id: 'r', name: 'r', hits: [{ term: 'ceasefire', field: 'content', start, end: start + 9 }] }] });
    expect(cut.text.length).toBeLessThanOrEqual(402);
    expect(cut.text.slice(cut.highlights[0]!.start, cut.highlights[0]!.end)).toBe('ceasefire');
  });

  it('gives digests the same excerpt', () => {
    const digest = renderDigestEmail(
      {
        subscriptionId: 'desk',
        digestId: 'd1',
        entries: [{ storyId: 's1', article: pageAlert.article, source: 'Wire', rules: pageAlert.rules, matchedAt: pageAlert.matchedAt, also: [] }],
        omitted: 0,
        ruleOrder: ['ukraine-ceasefire'],
        ruleNames: new Map([['ukraine-ceasefire', 'Ukraine ceasefire talks']]),
      },
      { timezone: 'UTC' },
    );
    expect(digest.html).toContain('In the article:</span> …On Tuesday the energy ministry said the <mark>ceasefire</mark>');
    expect(digest.html).toContain('Talks in <mark>Kyiv</mark> go on');
  });

  it('gives webhooks the same excerpt, and where its words are (fields added, none changed)', () => {
    const p = webhookPayload(pageAlert);
    expect(p.snippet).toBe(snippetOf(pageAlert).text);
    expect(p.snippet.startsWith('…On Tuesday the energy ministry')).toBe(true);
    expect(p.snippetFrom).toBe('content');
    expect(p.snippetHighlights.map((h) => p.snippet.slice(h.start, h.end))).toEqual(['ceasefire', 'Kyiv', 'ceasefire']);
  });
});

describe('snippetOf', () => {
  it('cuts a window around the first hit of long text and keeps highlights aligned', () => {
    const long = `${'Filler words here. '.repeat(30)}Then the ceasefire began. ${'More filler. '.repeat(40)}`;
    const start = long.indexOf('ceasefire');
    const s = snippetOf({ ...alert, article: { ...alert.article, summary: long }, rules: [{ id: 'r', name: 'r', hits: [{ term: 'ceasefire', field: 'summary', start, end: start + 9 }] }] });
    expect(s.text.startsWith('…')).toBe(true);
    expect(s.text.endsWith('…')).toBe(true);
    const h = s.highlights[0]!;
    expect(s.text.slice(h.start, h.end)).toBe('ceasefire');
  });
});

describe('webhook payload and signature', () => {
  it('carries version, rule, article and highlights', () => {
    const p = webhookPayload(alert);
    expect(p).toMatchObject({ type: 'alert', version: 1, id: 'd-abc', subscription: 'desk', story: 's1', rules: [{ id: 'ukraine-ceasefire', name: 'Ukraine ceasefire talks' }] });
    expect(p.article).toMatchObject({ url: alert.article.url, title: alert.article.title, source: 'Test <Wire>' });
    expect(p.highlights.map((h) => h.term)).toEqual(['kyiv', 'ceasefire']);
  });

  it('signs so that the standardwebhooks library verifies, for whsec_ and raw secrets', () => {
    const body = JSON.stringify(webhookPayload(alert));
    const now = new Date();
    const secret = `whsec_${Buffer.from('0123456789abcdef0123').toString('base64')}`;
    const headers = { 'webhook-id': 'd-abc', 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': signer(secret).sign('d-abc', now, body) };
    expect(new Webhook(secret).verify(body, headers)).toMatchObject({ id: 'd-abc' });
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow();
    const raw = signer('plain secret').sign('d-abc', now, body);
    expect(new Webhook('plain secret', { format: 'raw' }).verify(body, { ...headers, 'webhook-signature': raw })).toBeTruthy();
  });
});

describe('emailLinks', () => {
  const settings = (publicUrl: string, unsubscribeMailto?: string) => ({ settings: { publicUrl, unsubscribeMailto } as Settings, linkSecret: async () => 'secret-1' });
  const sub = { id: 'desk', email: 'desk@example.org', rules: [], timezone: 'Europe/Kyiv' } as unknown as SubscriptionConfig;

  it('gives each subscription its links, new ones when the URL, the mailto, the secret or the address change', async () => {
    const first = await emailLinks(settings('https://news.example.org'), sub);
    expect(first).toMatchObject({ timezone: 'Europe/Kyiv', unsubscribeMailto: undefined });
    expect(first.unsubscribeUrl).toMatch(/^https:\/\/news\.example\.org\/unsubscribe\?s=desk&t=/);
    expect(first.manageUrl).toBe(manageUrl('https://news.example.org', 'secret-1', 'desk@example.org'));
    expect(await emailLinks(settings('https://news.example.org'), sub)).toEqual(first);
    expect((await emailLinks(settings('https://other.example.org'), sub)).unsubscribeUrl).toMatch(/^https:\/\/other\.example\.org\//);
    expect((await emailLinks(settings('https://news.example.org', 'u@example.org'), sub)).unsubscribeMailto).toMatch(/^mailto:u@example\.org\?/);
    const rekeyed = await emailLinks({ ...settings('https://news.example.org'), linkSecret: async () => 'secret-2' }, sub);
    expect(rekeyed.unsubscribeUrl).not.toBe(first.unsubscribeUrl);
    const moved = await emailLinks(settings('https://news.example.org'), { ...sub, email: 'new@example.org' } as SubscriptionConfig);
    expect(moved.manageUrl).toBe(manageUrl('https://news.example.org', 'secret-1', 'new@example.org'));
    expect(await emailLinks(settings('https://news.example.org'), { ...sub, timezone: 'UTC' } as SubscriptionConfig)).toMatchObject({ timezone: 'UTC', unsubscribeUrl: first.unsubscribeUrl });
  });
});

describe('forDelivery', () => {
  const content = 'The talks resumed in Geneva. Negotiators in Kyiv agreed on a ceasefire line after midnight, officials said. Monitors arrive next week. ' + 'Rain is expected in the capital over the weekend. '.repeat(10) + 'The archive closes at noon.';
  const at = (field: 'summary' | 'content' | 'title', text: string, word: string) => ({ term: word.toLowerCase(), field, start: text.indexOf(word), end: text.indexOf(word) + word.length });
  const cases: [string, Alert][] = [
    ['words in the summary', { ...alert, article: { ...alert.article, content } }],
    ['words only in the text (an excerpt of its sentences)', { ...alert, article: { ...alert.article, content }, rules: [{ id: 'r', name: 'R', hits: [at('content', content, 'Kyiv'), at('content', content, 'ceasefire')] }] }],
    ['no summary, a title match (the text opens the snippet)', { ...alert, article: { ...alert.article, summary: undefined, content }, rules: [{ id: 'r', name: 'R', hits: [at('title', alert.article.title!, 'talks')] }] }],
  ];

  it.each(cases)('drops the text, and the alert renders as from the whole article: %s', (_, whole) => {
    const slim = forDelivery(whole);
    expect(slim.article.content).toBeUndefined();
    expect(JSON.stringify(slim)).not.toContain('archive closes');
    // Through a job's JSON, as the deliver worker reads it.
    const delivered = JSON.parse(JSON.stringify(slim)) as Alert;
    expect(renderAlertEmail(delivered, { timezone: 'UTC' })).toEqual(renderAlertEmail(whole, { timezone: 'UTC' }));
    expect(webhookPayload(delivered)).toEqual(webhookPayload(whole));
    expect(slackPayload(delivered, 'UTC')).toEqual(slackPayload(whole, 'UTC'));
    expect(discordPayload(delivered)).toEqual(discordPayload(whole));
  });
});
