// Deliver one alert or digest to one subscription: email (SMTP or outbox) or webhook (our signed
// JSON, or a Slack / Discord message). A failure is thrown so BullMQ retries with exponential
// backoff; when attempts run out the job stays in the failed set (`newswatch failed`, `newswatch
// retry`). A permanent failure goes to the failed set at once, with the server's answer: an SMTP
// 5xx (but 552, "mailbox full", which RFC 5321 says to treat as temporary) and a webhook 4xx
// (but 408 and 429, which ask to come back later). A receiver answering 410 Gone disables the
// subscription instead. A sent-marker written after success makes a retry of an
// already-delivered job a no-op. Webhooks not from the YAML (created through the API or the web)
// may not reach private addresses beyond what the operator allowed (address-guard.ts); such a
// target fails at once, without retries. Operator notices (a feed broken, then recovered; see
// src/alerts/operator-notice.ts) take the same path to settings.yaml's operator. Each alert or
// digest sent is recorded as the last delivery (`newswatch status`).

import { UnrecoverableError, type Job } from 'bullmq';
import type { Alert } from '../src/alerts/alert.js';
import type { Subscription } from '../src/alerts/directory.js';
import { LastDeliveryStore } from '../src/alerts/last-delivery.js';
import { noticePayload, renderNoticeEmail } from '../src/alerts/operator-notice.js';
import { renderAlertEmail, renderDigestEmail } from '../src/alerts/render-email.js';
import { SubscriptionState, subscriptionRuleIds } from '../src/alerts/subscriptions.js';
import { emailLinks } from '../src/alerts/manage.js';
import { discordPayload, postWebhook, slackPayload, webhookPayload, WebhookError } from '../src/alerts/webhook.js';
import type { WebhookConfig } from '../src/config/schema.js';
import { addressPolicy } from '../src/feeds/address-guard.js';
import type { WorkerContext } from '../src/queue/context.js';
import {
  deliverJobId,
  describeDelivery,
  digestJobId,
  noticeJobId,
  type AlertDelivery,
  type DeliverJobData,
  type DigestDelivery,
  type OperatorNotice,
} from '../src/queue/jobs.js';

export interface DeliverResult {
  channel: 'email' | 'webhook' | 'none';
  to?: string;
  receipt?: string;
  duplicate?: boolean;
  /** The receiver answered 410 Gone and the subscription was disabled. */
  disabled?: boolean;
}

const SENT_TTL_SECONDS = 14 * 86_400;

export async function processDeliver(job: Job<DeliverJobData>, ctx: WorkerContext): Promise<DeliverResult> {
  const data = job.data;
  if (data.kind === 'notice') return deliverNotice(data, ctx);
  await ctx.directory.ready;
  const sub = ctx.directory.subscription(data.subscriptionId);
  const id = data.kind === 'alert' ? deliverJobId(data.subscriptionId, data.storyId) : digestJobId(data.subscriptionId, data.digestId);
  const sentKey = ctx.keys.sent(id);
  // Both questions in one round trip: a delivery waits on Redis, not on the CPU.
  const [disabled, sent] = sub ? await Promise.all([new SubscriptionState(ctx.redis, ctx.keys).isDisabled(sub.id), ctx.redis.exists(sentKey)]) : [false, 0];
  if (!sub || sub.paused || disabled) {
    // Unsubscribed, deleted, paused or disabled since the alert was queued: nothing more goes out.
    ctx.log.warn({ subscriptionId: data.subscriptionId }, `delivery for a subscription that is ${!sub ? 'gone' : disabled ? 'disabled' : 'paused'}; dropped`);
    return { channel: 'none' };
  }
  if (sent) return { channel: sub.email ? 'email' : 'webhook', duplicate: true };

  const channel = sub.email ? 'email' : 'webhook';
  let result: DeliverResult;
  try {
    result = await send(data, id, sub, ctx);
  } catch (err) {
    ctx.metrics.delivered(data.kind, channel, 'failed');
    throw err;
  }
  if (result.channel === 'none' || result.disabled) return result;
  const sentAt = new Date().toISOString();
  // The sent-marker only after the send; the status line beside it, in the same round trip.
  await Promise.all([
    ctx.redis.set(sentKey, sentAt, 'EX', SENT_TTL_SECONDS),
    new LastDeliveryStore(ctx.redis, ctx.keys).record({
      at: sentAt,
      subscriptionId: sub.id,
      kind: data.kind,
      storyId: data.kind === 'alert' ? data.storyId : data.digestId,
      title: describeDelivery(data),
      channel: result.channel,
      to: result.to ?? '',
    }),
  ]);
  ctx.metrics.delivered(data.kind, channel, 'sent', data.kind === 'alert' ? data.firstSeenAt : undefined);
  ctx.log.info({ subscriptionId: sub.id, kind: data.kind, channel: result.channel, to: result.to, receipt: result.receipt }, 'delivered');
  return result;
}

/** A note to the operator of settings.yaml (as it is now: a reload may have changed it). */
async function deliverNotice(data: OperatorNotice, ctx: WorkerContext): Promise<DeliverResult> {
  const id = noticeJobId(data);
  const sentKey = ctx.keys.sent(id);
  if (await ctx.redis.exists(sentKey)) return { channel: data.channel, duplicate: true };
  const { email, webhook } = ctx.settings.operator;
  if (data.channel === 'email' ? !email : !webhook) {
    ctx.log.warn({ feedId: data.feed.id, event: data.event, channel: data.channel }, `operator notice dropped: settings.yaml no longer has operator.${data.channel}`);
    return { channel: 'none' };
  }
  let result: DeliverResult;
  try {
    if (email && data.channel === 'email') {
      try {
        result = { channel: 'email', to: email, receipt: await ctx.mailer.send(email, renderNoticeEmail(data, id)) };
      } catch (err) {
        throw permanentSmtpFailure(err as SmtpError) ?? err;
      }
    } else {
      const hook = webhook as WebhookConfig;
      try {
        const status = await postWebhook(hook, id, noticePayload(data, id, hook.format), { userAgent: ctx.settings.userAgent, timeoutMs: ctx.settings.webhookTimeoutMs });
        result = { channel: 'webhook', to: hook.url, receipt: `HTTP ${status}` };
      } catch (err) {
        throw permanentWebhookFailure(err as Error) ?? err;
      }
    }
  } catch (err) {
    ctx.metrics.delivered('notice', data.channel, 'failed');
    throw err;
  }
  await ctx.redis.set(sentKey, new Date().toISOString(), 'EX', SENT_TTL_SECONDS);
  ctx.metrics.delivered('notice', data.channel, 'sent');
  ctx.log.info({ feedId: data.feed.id, event: data.event, channel: result.channel, to: result.to, receipt: result.receipt }, 'operator told');
  return result;
}

/** Renders and sends one delivery through the subscription's channel. */
async function send(data: AlertDelivery | DigestDelivery, id: string, sub: Subscription, ctx: WorkerContext): Promise<DeliverResult> {
  if (sub.email) {
    const emailCtx = await emailLinks(ctx, sub);
    const email =
      data.kind === 'alert'
        ? renderAlertEmail(toAlert(id, data, ctx), emailCtx)
        : renderDigestEmail(
            {
              ...data,
              ruleOrder: subscriptionRuleIds(sub),
              ruleNames: new Map(subscriptionRuleIds(sub).map((r) => [r, ctx.directory.ruleName(r)])),
            },
            emailCtx,
          );
    let receipt: string;
    try {
      receipt = await ctx.mailer.send(sub.email, email);
    } catch (err) {
      throw permanentSmtpFailure(err as SmtpError) ?? err;
    }
    return { channel: 'email', to: sub.email, receipt };
  }
  if (sub.webhook && data.kind === 'alert') {
    const alert = toAlert(id, data, ctx);
    const format = sub.webhook.format;
    const payload = format === 'slack' ? slackPayload(alert, sub.timezone) : format === 'discord' ? discordPayload(alert) : webhookPayload(alert);
    // The ranges allowed at creation (api.allowWebhookRanges) are allowed at connect time too.
    const ranges = [...ctx.settings.allowAddresses, ...ctx.settings.api.allowWebhookRanges];
    const guard = sub.source === 'yaml' ? undefined : addressPolicy(ctx.config.feeds, ranges);
    try {
      const status = await postWebhook(sub.webhook, id, payload, { userAgent: ctx.settings.userAgent, timeoutMs: ctx.settings.webhookTimeoutMs, guard });
      return { channel: 'webhook', to: sub.webhook.url, receipt: `HTTP ${status}` };
    } catch (err) {
      if (err instanceof WebhookError && err.blockedAddress) {
        ctx.log.error({ subscriptionId: sub.id, url: sub.webhook.url, err: err.message }, 'webhook target refused: a private address');
        throw new UnrecoverableError(err.message);
      }
      if (!(err instanceof WebhookError && err.status === 410)) throw permanentWebhookFailure(err as Error) ?? err;
      await new SubscriptionState(ctx.redis, ctx.keys).disable(sub.id, `webhook answered 410 Gone (${sub.webhook.url})`);
      ctx.log.error({ subscriptionId: sub.id, url: sub.webhook.url }, 'webhook answered 410 Gone: subscription disabled; `newswatch enable` turns it back on');
      return { channel: 'webhook', to: sub.webhook.url, disabled: true };
    }
  }
  return { channel: 'none' };
}

/** What nodemailer adds to an error the SMTP server answered. */
interface SmtpError extends Error {
  responseCode?: number;
  response?: string;
}

/** An SMTP answer that no retry will change, as an error that skips the attempts left. */
export function permanentSmtpFailure(err: SmtpError): UnrecoverableError | undefined {
  const code = err.responseCode;
  if (code === undefined || code < 500 || code > 599 || code === 552) return undefined;
  return new UnrecoverableError(`SMTP ${code}, permanent (not retried): ${err.response ?? err.message}`);
}

/** A webhook answer that no retry will change (4xx but 408 Request Timeout and 429 Too Many Requests). */
export function permanentWebhookFailure(err: Error): UnrecoverableError | undefined {
  if (!(err instanceof WebhookError) || err.status === undefined) return undefined;
  if (err.status < 400 || err.status > 499 || err.status === 408 || err.status === 429) return undefined;
  return new UnrecoverableError(`${err.message}, permanent (not retried)`);
}

function toAlert(id: string, data: AlertDelivery, ctx: WorkerContext): Alert {
  const feed = ctx.config.feeds.find((f) => f.id === data.article.feed);
  return {
    id,
    subscriptionId: data.subscriptionId,
    storyId: data.storyId,
    article: data.article,
    rules: data.rules,
    source: feed?.title ?? data.article.feed,
    matchedAt: data.matchedAt,
  };
}
