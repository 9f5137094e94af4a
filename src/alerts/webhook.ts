// Webhook alerts: a versioned JSON payload (pure) and its delivery as a POST signed per the
// Standard Webhooks scheme (webhook-id, webhook-timestamp, webhook-signature). A 2xx answer is
// success; anything else is a WebhookError that the deliver queue retries with backoff.

import { createHmac } from 'node:crypto';
import { request } from 'undici';
import { basicAuth, redactCredentials } from '../config/credentials.js';
import { ADDRESS_REFUSED, guardedAgent, type AddressPolicy } from '../feeds/address-guard.js';
import { formatTime, snippetOf, type Alert } from './alert.js';

export const WEBHOOK_PAYLOAD_VERSION = 1;

export interface WebhookPayload {
  type: 'alert';
  version: typeof WEBHOOK_PAYLOAD_VERSION;
  id: string;
  subscription: string;
  story: string;
  matchedAt: string;
  rules: { id: string; name: string }[];
  article: {
    id: string;
    feed: string;
    source: string;
    url?: string;
    title?: string;
    summary?: string;
    published?: string;
    language?: string;
  };
  snippet: string;
  /** Where the snippet's text is from: the feed's summary, or the article's text (its page). */
  snippetFrom?: 'summary' | 'content';
  /** The matched words in `snippet`: character offsets into it. */
  snippetHighlights: { start: number; end: number }[];
  highlights: { rule: string; term: string; field: string; start: number; end: number }[];
}

export function webhookPayload(alert: Alert): WebhookPayload {
  const { article } = alert;
  const snippet = snippetOf(alert);
  return {
    type: 'alert',
    version: WEBHOOK_PAYLOAD_VERSION,
    id: alert.id,
    subscription: alert.subscriptionId,
    story: alert.storyId,
    matchedAt: alert.matchedAt,
    rules: alert.rules.map((r) => ({ id: r.id, name: r.name })),
    article: {
      id: article.id,
      feed: article.feed,
      source: alert.source,
      url: article.url,
      title: article.title,
      summary: article.summary,
      published: article.published,
      language: article.language,
    },
    snippet: snippet.text,
    snippetFrom: snippet.from,
    snippetHighlights: snippet.highlights,
    highlights: alert.rules.flatMap((r) => r.hits.map((h) => ({ rule: r.id, ...h }))),
  };
}

/** A Slack incoming-webhook message (mrkdwn text; Slack escapes only &, < and >). */
export function slackPayload(alert: Alert, timezone: string): { text: string } {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const { article } = alert;
  const headline = esc(article.title ?? article.url ?? '(untitled article)');
  const when = formatTime(article.published ?? alert.matchedAt, timezone);
  const lines = [
    article.url ? `*<${article.url}|${headline}>*` : `*${headline}*`,
    `${esc(alert.source)}${when ? ` · ${when}` : ''}`,
    esc(snippetOf(alert).text),
    `_Matched: ${esc(alert.rules.map((r) => r.name).join(', '))}_`,
  ];
  return { text: lines.filter(Boolean).join('\n') };
}

/** A Discord incoming-webhook message: one embed, within Discord's field limits. */
export function discordPayload(alert: Alert): {
  content: string;
  embeds: { title: string; url?: string; description: string; timestamp?: string; footer: { text: string } }[];
  allowed_mentions: { parse: string[] };
} {
  const { article } = alert;
  const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
  return {
    content: '',
    embeds: [
      {
        title: cut(article.title ?? article.url ?? '(untitled article)', 256),
        url: article.url,
        description: cut(snippetOf(alert).text, 4096),
        timestamp: article.published,
        footer: { text: cut(`${alert.source} · Matched: ${alert.rules.map((r) => r.name).join(', ')}`, 2048) },
      },
    ],
    // Article text must never ping anyone.
    allowed_mentions: { parse: [] },
  };
}

export class WebhookError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    /** The target's address was refused by the address guard: retrying cannot help. */
    readonly blockedAddress = false,
  ) {
    // Messages start with the URL, which may carry the receiver's password.
    super(redactCredentials(message));
    this.name = 'WebhookError';
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Standard Webhooks signing: "v1," + base64 HMAC-SHA256 of "<id>.<unix seconds>.<body>". Secrets
 * are "whsec_" + base64; any other string is used as raw key bytes (the standardwebhooks
 * library's "raw" format, which the tests verify against). node:crypto rather than that
 * library's pure-JavaScript SHA-256: a quarter of the time per signature.
 */
export function signer(secret: string): { sign(messageId: string, timestamp: Date, body: string): string } {
  let key: Buffer;
  if (secret.startsWith('whsec_')) {
    const encoded = secret.slice('whsec_'.length);
    if (!BASE64.test(encoded)) throw new Error('webhook secret: what follows "whsec_" is not base64; use whsec_ and base64, or a secret without the prefix');
    key = Buffer.from(encoded, 'base64');
  } else key = Buffer.from(Uint8Array.from(secret, (c) => c.charCodeAt(0))); // as the library reads a raw secret
  return {
    sign: (messageId, timestamp, body) => `v1,${createHmac('sha256', key).update(`${messageId}.${Math.floor(timestamp.getTime() / 1000)}.${body}`).digest('base64')}`,
  };
}

export async function postWebhook(
  target: { url: string; secret?: string },
  messageId: string,
  payload: unknown,
  /** `guard`: refuse private addresses beyond what it allows (targets created through the API). */
  options: { userAgent: string; timeoutMs: number; now?: Date; guard?: AddressPolicy },
): Promise<number> {
  const body = JSON.stringify(payload);
  const timestamp = options.now ?? new Date();
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': options.userAgent,
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
  };
  if (target.secret) headers['webhook-signature'] = signer(target.secret).sign(messageId, timestamp, body);
  let status: number;
  try {
    const { url, authorization } = basicAuth(new URL(target.url));
    if (authorization) headers.authorization = authorization;
    // undici's request rather than fetch: about a third of the CPU per webhook (no WHATWG
    // Request, Response and streams per call). It follows no redirect: a 3xx is an error.
    const response = await request(url, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(options.timeoutMs),
      ...(options.guard ? { dispatcher: guardedAgent(options.guard, options.timeoutMs) } : {}),
    });
    status = response.statusCode;
    // The answer's body is not read; dump() discards a bounded amount so the socket is reused.
    await response.body.dump();
  } catch (err) {
    const e = err as Error & { code?: string; cause?: { code?: string; message?: string } };
    if (e.code === ADDRESS_REFUSED) throw new WebhookError(`${target.url}: ${e.message}`, undefined, true);
    if (e.cause?.code === ADDRESS_REFUSED) throw new WebhookError(`${target.url}: ${e.cause.message}`, undefined, true);
    throw new WebhookError(`${target.url}: ${e.name === 'TimeoutError' ? 'timed out' : (e.code ?? e.cause?.code ?? e.message)}`);
  }
  if (status < 200 || status > 299) throw new WebhookError(`${target.url}: HTTP ${status}`, status);
  return status;
}
