// Deliver a subscription's alerts, or a digest, to it: email (SMTP or outbox) or webhook (our
// signed JSON, or a Slack / Discord message). A job holds the alerts of one batch for one
// subscription (or, queued before that, one alert), sent in order; each alert is claimed before
// and marked sent after its send (src/alerts/sent-markers.ts), so a retry sends only what is not
// marked and two jobs holding the same story send it once. A failure is thrown so BullMQ retries
// with exponential backoff; when attempts run out the job stays in the failed set (`newswatch
// failed`, `newswatch retry`). A permanent failure goes to the failed set at once, with the
// server's answer: an SMTP 5xx (but 552, "mailbox full", which RFC 5321 says to treat as
// temporary) and a webhook 4xx (but 408 and 429, which ask to come back later). A receiver
// answering 410 Gone disables the subscription instead. Webhooks not from the YAML (created
// through the API or the web) may not reach private addresses beyond what the operator allowed
// (address-guard.ts); such a target fails at once, without retries. Operator notices (a feed
// broken, then recovered; see src/alerts/operator-notice.ts) take the same path to
// settings.yaml's operator. Each alert or digest sent is recorded as the last delivery
// (`newswatch status`).

import { randomUUID } from 'node:crypto';
import { feedById } from '../src/config/load.js';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { Alert } from '../src/alerts/alert.js';
import type { Subscription } from '../src/alerts/directory.js';
import { noticePayload, renderNoticeEmail } from '../src/alerts/operator-notice.js';
import { renderAlertEmail, renderDigestEmail } from '../src/alerts/render-email.js';
import { SentMarkers, type Claim, type Claimant } from '../src/alerts/sent-markers.js';
import { SubscriptionState, subscriptionRuleIds } from '../src/alerts/subscriptions.js';
import { emailLinks } from '../src/alerts/manage.js';
import { discordPayload, postWebhook, slackPayload, webhookPayload, WebhookError } from '../src/alerts/webhook.js';
import type { WebhookConfig } from '../src/config/schema.js';
import { addressPolicy } from '../src/feeds/address-guard.js';
import type { WorkerContext } from '../src/queue/context.js';
import {
  alertTitle,
  deliverJobId,
  describeDelivery,
  digestJobId,
  noticeJobId,
  type AlertDelivery,
  type AlertItem,
  type AlertsDelivery,
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
  /** The alerts this run sent, in order (alert jobs; a digest or notice is the job itself). */
  sent?: { title: string; receipt: string }[];
}

export async function processDeliver(job: Job<DeliverJobData>, ctx: WorkerContext, token?: string): Promise<DeliverResult> {
  const data = job.data;
  if (data.kind === 'notice') return deliverNotice(data, ctx);
  await ctx.directory.ready;
  const sub = ctx.directory.subscription(data.subscriptionId);
  if (data.kind === 'digest') return deliverDigest(data, sub, ctx);
  return deliverAlerts(job as Job<AlertDelivery | AlertsDelivery>, sub, ctx, token);
}

/** Unsubscribed, deleted, paused or disabled since the delivery was queued: nothing more goes out. */
function dropped(subscriptionId: string, why: 'gone' | 'disabled' | 'paused', ctx: WorkerContext): DeliverResult {
  ctx.log.warn({ subscriptionId }, `delivery for a subscription that is ${why}; dropped`);
  return { channel: 'none' };
}

/**
 * A subscription's alerts, one after the other: each claimed, sent and marked sent on its own,
 * so a retry (after a failure, or a worker killed mid-batch) sends only what is not marked. The
 * first failure stops the job and throws (BullMQ retries it with backoff, or a permanent failure
 * goes to the failed set, its alerts with it). An alert another job is sending (a copy of the
 * story in another batch) is left to it, and this job comes back (within LOOK_AGAIN_MS) until
 * that claim has ended: should the other job fail, this one sends it.
 */
async function deliverAlerts(job: Job<AlertDelivery | AlertsDelivery>, sub: Subscription | undefined, ctx: WorkerContext, token: string | undefined): Promise<DeliverResult> {
  const data = job.data;
  const items: AlertItem[] = data.kind === 'alert' ? [data] : data.items;
  if (!sub) return dropped(data.subscriptionId, 'gone', ctx);
  if (sub.paused) return dropped(sub.id, 'paused', ctx);
  const markers = new SentMarkers(ctx.redis, ctx.keys);
  // Unique to this run of the job: a claim left by an earlier run (killed) is another holder's.
  const by: Claimant = { holder: `${job.id ?? ''} ${token ?? randomUUID()}`, ttlMs: ctx.settings.lockDurationMs };
  // Each alert's sent-marker id (a hash), made once: it is claimed as the next alert, then sent.
  const ids = items.map((item) => deliverJobId(sub.id, item.storyId));
  // Both questions in one round trip: a delivery waits on Redis, not on the CPU.
  const [disabled, first] = await Promise.all([new SubscriptionState(ctx.redis, ctx.keys).isDisabled(sub.id), ids[0] === undefined ? undefined : markers.claim(ids[0], by)]);
  if (disabled) {
    if (first?.state === 'claimed') await markers.release(ids[0]!, by);
    return dropped(sub.id, 'disabled', ctx);
  }

  const channel = sub.email ? 'email' : 'webhook';
  const sent: NonNullable<DeliverResult['sent']> = [];
  const result: DeliverResult = { channel, to: sub.email ?? sub.webhook?.url, sent };
  let busyMs: number | undefined;
  let claim: Claim | undefined = first;
  for (const [i, item] of items.entries()) {
    const id = ids[i]!;
    claim ??= await markers.claim(id, by);
    if (claim.state !== 'claimed') {
      if (claim.state === 'busy') busyMs = Math.max(busyMs ?? 0, claim.retryInMs);
      claim = undefined;
      continue;
    }
    let out: DeliverResult;
    try {
      out = await markers.holding(id, by, () => send({ kind: 'alert', subscriptionId: sub.id, ...item }, id, sub, ctx));
    } catch (err) {
      ctx.metrics.delivered('alert', channel, 'failed');
      ctx.log.warn({ subscriptionId: sub.id, storyId: item.storyId, title: alertTitle(item), err: (err as Error).message }, 'alert not delivered');
      await markers.release(id, by);
      await tellSent(job, result);
      throw err;
    }
    if (out.channel === 'none' || out.disabled) {
      await markers.release(id, by);
      return { ...result, ...out, sent };
    }
    const sentAt = new Date().toISOString();
    const next = ids[i + 1];
    // The marker only after the send; the status line and the next alert's claim beside it.
    claim = await markers.afterSend(
      id,
      sentAt,
      { at: sentAt, subscriptionId: sub.id, kind: 'alert', storyId: item.storyId, title: alertTitle(item), channel: out.channel, to: out.to ?? '' },
      next === undefined ? undefined : { deliveryId: next, by },
    );
    ctx.metrics.delivered('alert', channel, 'sent', item.firstSeenAt);
    ctx.log.info({ subscriptionId: sub.id, kind: 'alert', storyId: item.storyId, channel: out.channel, to: out.to, receipt: out.receipt }, 'delivered');
    sent.push({ title: alertTitle(item), receipt: out.receipt ?? '' });
    result.receipt = out.receipt;
  }
  if (busyMs !== undefined) await comeBackLater(job, result, busyMs, ctx, token);
  if (sent.length === 0) result.duplicate = true;
  return result;
}

/**
 * The alerts a run sent before it ended without a result (a failure, or put off below), as the
 * job's progress: a `progress` event of the worker, from which run-once lists them. For a
 * summary only, so a lost Redis does not stop the job's own error.
 */
async function tellSent(job: Job, result: DeliverResult): Promise<void> {
  if (result.sent?.length) await job.updateProgress({ to: result.to, sent: result.sent }).catch(() => undefined);
}

/**
 * Longest a job waits before it looks again at alerts another job is sending. The other job
 * usually ends its send within milliseconds, and its claim then turns into the sent-marker (or
 * is released on a failure); waiting for the claim's whole life (the lock duration, 30 s) kept
 * the job, and whatever waits for an empty queue (run-once, the benchmark), that long for an
 * alert already sent.
 */
const LOOK_AGAIN_MS = 1_000;

/**
 * Some alerts of the job are being sent by another job: the job waits (delayed, no attempt
 * counted) until their claims end or LOOK_AGAIN_MS has passed, then runs again; what it sent
 * meanwhile is marked and skipped.
 */
async function comeBackLater(job: Job, sent: DeliverResult, busyMs: number, ctx: WorkerContext, token: string | undefined): Promise<never> {
  const until = Date.now() + Math.min(busyMs, LOOK_AGAIN_MS) + 100 + Math.random() * 400;
  ctx.log.info({ subscriptionId: job.data.subscriptionId, jobId: job.id, until: new Date(until).toISOString() }, 'alerts being sent by another job; looking again in a moment');
  await tellSent(job, sent);
  if (token === undefined) throw new Error(`alerts of job ${job.id} are being sent by another job; retried later`);
  await job.moveToDelayed(until, token);
  throw new DelayedError();
}

/** A digest: its job id keeps it to one job, so a sent-marker is enough. */
async function deliverDigest(data: DigestDelivery, sub: Subscription | undefined, ctx: WorkerContext): Promise<DeliverResult> {
  const id = digestJobId(data.subscriptionId, data.digestId);
  const markers = new SentMarkers(ctx.redis, ctx.keys);
  // Both questions in one round trip: a delivery waits on Redis, not on the CPU.
  const [disabled, sent] = sub ? await Promise.all([new SubscriptionState(ctx.redis, ctx.keys).isDisabled(sub.id), markers.isSent(id)]) : [false, false];
  if (!sub || sub.paused || disabled) return dropped(data.subscriptionId, !sub ? 'gone' : disabled ? 'disabled' : 'paused', ctx);
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
  await markers.markSent(id, sentAt, {
    at: sentAt,
    subscriptionId: sub.id,
    kind: data.kind,
    storyId: data.digestId,
    title: describeDelivery(data),
    channel: result.channel,
    to: result.to ?? '',
  });
  ctx.metrics.delivered(data.kind, channel, 'sent');
  ctx.log.info({ subscriptionId: sub.id, kind: data.kind, channel: result.channel, to: result.to, receipt: result.receipt }, 'delivered');
  return result;
}

/** A note to the operator of settings.yaml (as it is now: a reload may have changed it). */
async function deliverNotice(data: OperatorNotice, ctx: WorkerContext): Promise<DeliverResult> {
  const id = noticeJobId(data);
  const markers = new SentMarkers(ctx.redis, ctx.keys);
  if (await markers.isSent(id)) return { channel: data.channel, duplicate: true };
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
  await markers.markSent(id, new Date().toISOString());
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
  const feed = feedById(ctx.config, data.article.feed);
  return {
    id,
    subscriptionId: data.subscriptionId,
    storyId: data.storyId,
    article: data.article,
    rules: data.rules,
    source: feed?.title ?? data.article.feed,
    matchedAt: data.matchedAt,
    ...(data.snippet ? { snippet: data.snippet } : {}),
  };
}
