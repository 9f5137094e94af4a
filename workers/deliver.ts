// Deliver one alert to one subscription: email (SMTP or outbox) or signed webhook. A failure is
// thrown so BullMQ retries with exponential backoff; when attempts run out the job stays in the
// failed set, where `newswatch` commands list and re-drive it. A sent-marker written after
// success makes a retry of an already-delivered job a no-op.

import type { Job } from 'bullmq';
import type { Alert } from '../src/alerts/alert.js';
import { renderAlertEmail } from '../src/alerts/render-email.js';
import { postWebhook, webhookPayload } from '../src/alerts/webhook.js';
import type { WorkerContext } from '../src/queue/context.js';
import { deliverJobId, type DeliverJobData } from '../src/queue/jobs.js';

export interface DeliverResult {
  channel: 'email' | 'webhook' | 'none';
  to?: string;
  receipt?: string;
  duplicate?: boolean;
}

const SENT_TTL_SECONDS = 14 * 86_400;

export async function processDeliver(job: Job<DeliverJobData>, ctx: WorkerContext): Promise<DeliverResult> {
  const data = job.data;
  const sub = ctx.config.subscriptions.find((s) => s.id === data.subscriptionId);
  if (!sub) {
    ctx.log.warn({ subscriptionId: data.subscriptionId }, 'alert for a subscription that is no longer configured; dropped');
    return { channel: 'none' };
  }
  const alertId = deliverJobId(data.subscriptionId, data.storyId);
  const sentKey = `${ctx.settings.prefix}:sent:${alertId}`;
  if (await ctx.redis.exists(sentKey)) return { channel: sub.email ? 'email' : 'webhook', duplicate: true };

  const feed = ctx.config.feeds.find((f) => f.id === data.article.feed);
  const alert: Alert = {
    id: alertId,
    subscriptionId: sub.id,
    storyId: data.storyId,
    article: data.article,
    rules: data.rules,
    source: feed?.title ?? data.article.feed,
    matchedAt: data.matchedAt,
  };

  let result: DeliverResult;
  if (sub.email) {
    const receipt = await ctx.mailer.send(sub.email, renderAlertEmail(alert));
    result = { channel: 'email', to: sub.email, receipt };
  } else if (sub.webhook) {
    const status = await postWebhook(sub.webhook, alertId, webhookPayload(alert), {
      userAgent: ctx.settings.userAgent,
      timeoutMs: ctx.settings.webhookTimeoutMs,
    });
    result = { channel: 'webhook', to: sub.webhook.url, receipt: `HTTP ${status}` };
  } else {
    return { channel: 'none' };
  }
  await ctx.redis.set(sentKey, new Date().toISOString(), 'EX', SENT_TTL_SECONDS);
  ctx.log.info({ subscriptionId: sub.id, channel: result.channel, to: result.to, receipt: result.receipt, title: data.article.title }, 'alert delivered');
  return result;
}
