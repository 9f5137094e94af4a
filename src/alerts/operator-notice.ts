// Telling the operator (settings.yaml `operator:`) that a feed has failed for longer than
// polling.flagAfter, and again when it recovers. Rules:
// - Exactly once per run of failures, across every process: the poll worker that first sees the
//   feed past the threshold wins a per-feed flag in the feed's health hash (HSETNX, see
//   HealthStore.claimOperatorNotice); the one whose success clears that flag (HDEL) sends the
//   recovery. A feed that recovers before the threshold is never mentioned.
// - Notices are deliver jobs like alerts (one per channel, ids derived from feed, event and the
//   start of the run of failures), so retries, backoff, the failed set and `newswatch retry` apply.
// - Rendering is pure; feed URLs and errors are shown without credentials.

import type { Queue } from 'bullmq';
import { redactCredentials } from '../config/credentials.js';
import type { WebhookConfig } from '../config/schema.js';
import { noticeJobId, OPERATOR, type DeliverJobData, type OperatorNotice } from '../queue/jobs.js';
import { escapeHtml, type RenderedEmail } from './render-email.js';

export const NOTICE_PAYLOAD_VERSION = 1;

export type NoticeFacts = Omit<OperatorNotice, 'kind' | 'subscriptionId' | 'channel'>;

/** Queues one notice per configured channel; returns how many (0 when no operator is set). */
export async function queueOperatorNotices(
  queue: Queue<DeliverJobData>,
  operator: { email?: string; webhook?: WebhookConfig },
  facts: NoticeFacts,
): Promise<number> {
  const channels = [...(operator.email ? ['email' as const] : []), ...(operator.webhook ? ['webhook' as const] : [])];
  const safe: NoticeFacts = {
    ...facts,
    feed: { ...facts.feed, url: redactCredentials(facts.feed.url) },
    error: facts.error === undefined ? undefined : redactCredentials(facts.error),
  };
  await queue.addBulk(
    channels.map((channel) => {
      const data: OperatorNotice = { kind: 'notice', subscriptionId: OPERATOR, channel, ...safe };
      return { name: 'notice', data, opts: { jobId: noticeJobId(data) } };
    }),
  );
  return channels.length;
}

/** Whether an operator is set at all. */
export const hasOperator = (operator: { email?: string; webhook?: WebhookConfig }) => Boolean(operator.email || operator.webhook);

const feedName = (n: OperatorNotice) => (n.feed.title ? `${n.feed.id} (${n.feed.title})` : n.feed.id);

function sentences(n: OperatorNotice): { subject: string; lines: string[] } {
  if (n.event === 'feed.failing') {
    return {
      subject: `Newswatch: feed "${n.feed.id}" has been failing since ${n.failingSince}`,
      lines: [
        `The feed ${feedName(n)} has failed ${n.failures} time(s) in a row since ${n.failingSince}.`,
        `Last error: ${n.error ?? 'unknown'}`,
        `URL: ${n.feed.url}`,
        '',
        'It is still polled (with backoff); you will be told once more when it answers again.',
        'Check the URL in a browser; if the feed moved, update feeds.yaml. `newswatch feeds` shows every feed\'s health.',
      ],
    };
  }
  return {
    subject: `Newswatch: feed "${n.feed.id}" has recovered`,
    lines: [
      `The feed ${feedName(n)} answered again at ${n.at}, after ${n.failures} failed poll(s) since ${n.failingSince}.`,
      `URL: ${n.feed.url}`,
    ],
  };
}

export function renderNoticeEmail(n: OperatorNotice, id: string): RenderedEmail {
  const { subject, lines } = sentences(n);
  const html = `<!doctype html>
<html><head><meta charset="utf-8"></head><body style="font-family:sans-serif;max-width:40em">
${lines.filter(Boolean).map((l) => `<p>${escapeHtml(l)}</p>`).join('\n')}
</body></html>
`;
  return { subject, text: `${lines.join('\n')}\n`, html, messageId: `<${id}@newswatch.local>`, headers: {} };
}

export interface NoticePayload {
  type: OperatorNotice['event'];
  version: typeof NOTICE_PAYLOAD_VERSION;
  id: string;
  feed: OperatorNotice['feed'];
  failingSince: string;
  failures: number;
  error?: string;
  at: string;
}

/** The webhook body: our versioned JSON, or a Slack / Discord message with the same sentences. */
export function noticePayload(n: OperatorNotice, id: string, format: WebhookConfig['format']): unknown {
  if (format === 'standard') {
    const payload: NoticePayload = { type: n.event, version: NOTICE_PAYLOAD_VERSION, id, feed: n.feed, failingSince: n.failingSince, failures: n.failures, error: n.error, at: n.at };
    return payload;
  }
  const { subject, lines } = sentences(n);
  const text = [subject, ...lines.filter(Boolean)].join('\n');
  if (format === 'slack') return { text: text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;') };
  return { content: text.slice(0, 2000), allowed_mentions: { parse: [] } };
}
