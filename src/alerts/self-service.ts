// Subscriptions and rules made at run time, by readers (subscribe and manage pages) and by API
// clients: the one place that validates them, creates them (unconfirmed with a confirmation
// email, or confirmed at once when the admin says so), confirms, changes and deletes them. Its
// rules:
// - Everything is checked as the YAML loader checks it (the same zod schemas), queries are
//   compiled, named rules must exist; problems are RequestErrors with an HTTP status and, for a
//   query, the offset of the problem.
// - An email subscription waits for its confirmation (web.confirmWithin) and gets nothing before
//   it; at most web.mailsPerAddressPerDay confirmation emails go to one address per day.
//   Subscribing again with the same address and query makes no second subscription.
// - A change keeps the digest scheduler in step and is seen by every process through the store's
//   change stream (directory.ts).

import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { ruleSchema, subscriptionSchema, type RuleConfig, type SubscriptionConfig } from '../config/schema.js';
import { addressPolicy } from '../feeds/address-guard.js';
import { compileRule, formatQueryError, RuleCompileError, type QuerySyntaxError, type RuleSpec } from '../match/index.js';
import type { WorkerContext } from '../queue/context.js';
import { AlertFeedStore } from './alert-feed-store.js';
import { scheduleDigest } from './digest-schedule.js';
import { checkToken, publicLink, signToken, type TokenCheck } from './links.js';
import { escapeHtml, type RenderedEmail } from './render-email.js';
import { ConcurrentChangeError, SubscriptionStore, type StoredRule, type StoredSubscription } from './subscription-store.js';
import { keywordRuleId, SubscriptionState, statusOf, type SubscriptionStatus } from './subscriptions.js';
import { checkWebhookTarget, WebhookTargetError } from './webhook-target.js';

export type SelfServiceContext = Pick<WorkerContext, 'config' | 'redis' | 'keys' | 'directory' | 'mailer' | 'settings' | 'linkSecret' | 'queues' | 'log'>;

/** A request that cannot be carried out, with the HTTP status that says why. */
export class RequestError extends Error {
  override name = 'RequestError';
  constructor(
    readonly status: 404 | 409 | 422 | 429,
    message: string,
    /** More for the client: the field, and for a query the offset of the problem. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Where a subscription comes from: created at run time (by the web or the API), or YAML. */
export type Origin = StoredSubscription['origin'];

// --- validation ---

/** A new id: "s-" or "r-" and 16 random hex digits (a slug, as YAML ids are). */
export const newId = (kind: 'subscription' | 'rule') => `${kind === 'subscription' ? 's' : 'r'}-${randomBytes(8).toString('hex')}`;

function schemaProblem(error: z.ZodError, what: string): RequestError {
  const problems = error.issues.map((i) => ({ field: i.path.join('.') || undefined, message: i.message }));
  const text = problems.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join('; ');
  return new RequestError(422, `the ${what} is not valid: ${text}`, { problems });
}

/** 422 with the query's parse error, its offset and a caret line, when a rule does not compile. */
function compileProblem(spec: RuleSpec, field: (err: RuleCompileError) => string): RequestError | undefined {
  try {
    compileRule(spec);
    return undefined;
  } catch (err) {
    if (!(err instanceof RuleCompileError)) throw err;
    const cause: QuerySyntaxError = err.cause;
    const name = field(err);
    const query = queryOf(spec, err);
    return new RequestError(422, `${name} does not parse: ${cause.message}`, {
      field: name,
      offset: cause.offset,
      length: cause.length ?? 1,
      hint: cause.hint,
      caret: formatQueryError(query, cause),
    });
  }
}

function queryOf(spec: RuleSpec, err: RuleCompileError): string {
  if (err.source === 'query') return spec.query ?? '';
  return spec[err.source]?.[err.itemIndex ?? 0] ?? '';
}

const fieldOf = (err: RuleCompileError) => (err.itemIndex === undefined ? err.source : `${err.source}[${err.itemIndex}]`);

/**
 * A subscription as the YAML loader would read it, its query compiled and its rules known;
 * throws RequestError (422) otherwise. `origin` decides whether a webhook target is checked.
 */
export async function validSubscription(ctx: SelfServiceContext, input: Record<string, unknown>, origin: Origin | 'yaml'): Promise<SubscriptionConfig> {
  const parsed = subscriptionSchema.safeParse(input);
  if (!parsed.success) throw schemaProblem(parsed.error, 'subscription');
  const sub = parsed.data;
  if (sub.keywords) {
    const problem = compileProblem({ id: keywordRuleId(sub.id), query: sub.keywords }, () => 'query');
    if (problem) throw problem;
  }
  const store = new SubscriptionStore(ctx.redis, ctx.keys);
  for (const ruleId of sub.rules) {
    if (!ctx.directory.rule(ruleId) && !(await store.getRule(ruleId))) {
      throw new RequestError(422, `rules: there is no rule "${ruleId}"; list the rules with GET /api/v1/rules`, { field: 'rules' });
    }
  }
  if (sub.webhook && origin !== 'yaml') {
    try {
      // The same policy as the delivery's connect-time guard (workers/deliver.ts).
      await checkWebhookTarget(sub.webhook.url, addressPolicy(ctx.config.feeds, [...ctx.settings.allowAddresses, ...ctx.settings.api.allowWebhookRanges]));
    } catch (err) {
      if (err instanceof WebhookTargetError) throw new RequestError(422, err.message, { field: 'webhook.url' });
      throw err;
    }
  }
  return sub;
}

/** A rule as the YAML loader would read it, its queries compiled; throws RequestError (422). */
export function validRule(input: Record<string, unknown>): RuleConfig {
  const parsed = ruleSchema.safeParse(input);
  if (!parsed.success) throw schemaProblem(parsed.error, 'rule');
  const problem = compileProblem(parsed.data, fieldOf);
  if (problem) throw problem;
  return parsed.data;
}

// --- subscriptions ---

export interface SubscriptionView {
  sub: SubscriptionConfig & Partial<Pick<StoredSubscription, 'createdAt' | 'confirmedAt' | 'origin'>>;
  source: 'yaml' | 'redis';
  status: SubscriptionStatus;
}

/** Every subscription: YAML ones, confirmed ones in Redis (read now, not as the directory last saw them), pending ones. */
export async function listSubscriptions(ctx: SelfServiceContext): Promise<SubscriptionView[]> {
  const store = new SubscriptionStore(ctx.redis, ctx.keys);
  const [stored, pending, disabled] = await Promise.all([store.all(), store.allPending(), new SubscriptionState(ctx.redis, ctx.keys).disabled()]);
  const yaml = ctx.directory.subscriptions().filter((s) => s.source === 'yaml');
  stored.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  pending.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  return [
    ...yaml.map((sub): SubscriptionView => ({ sub, source: 'yaml', status: statusOf(sub, disabled) })),
    ...stored.filter((s) => !yaml.some((y) => y.id === s.id)).map((sub): SubscriptionView => ({ sub, source: 'redis', status: statusOf(sub, disabled) })),
    ...pending.map((sub): SubscriptionView => ({ sub, source: 'redis', status: 'pending' })),
  ];
}

export async function findSubscription(ctx: SelfServiceContext, id: string): Promise<SubscriptionView | undefined> {
  const yaml = ctx.directory.subscription(id);
  const disabled = () => new SubscriptionState(ctx.redis, ctx.keys).disabled();
  if (yaml?.source === 'yaml') return { sub: yaml, source: 'yaml', status: statusOf(yaml, await disabled()) };
  const store = new SubscriptionStore(ctx.redis, ctx.keys);
  const stored = await store.get(id);
  if (stored) return { sub: stored, source: 'redis', status: statusOf(stored, await disabled()) };
  const pending = await store.getPending(id);
  return pending ? { sub: pending, source: 'redis', status: 'pending' } : undefined;
}

export interface Created {
  /** False when the same address already had this query: `view` is that subscription. */
  created: boolean;
  view: SubscriptionView;
  /** For a new pending email subscription: whether its confirmation email went out. */
  confirmationSent?: boolean;
}

/**
 * Creates a validated subscription: confirmed at once when `confirmed`, else pending, with a
 * confirmation email to an email address (a pending webhook waits for a confirmation through the
 * API). Throws RequestError 409 when the id is taken or the address has its cap.
 */
export async function createSubscription(ctx: SelfServiceContext, sub: SubscriptionConfig, options: { origin: Origin; confirmed: boolean }): Promise<Created> {
  const store = new SubscriptionStore(ctx.redis, ctx.keys);
  if (ctx.directory.subscription(sub.id) || (await store.get(sub.id)) || (await store.getPending(sub.id))) {
    throw new RequestError(409, `there is already a subscription "${sub.id}"; choose another id or leave it out`, { field: 'id' });
  }
  const same = await store.sameAs(sub);
  if (same) {
    const existing = await findSubscription(ctx, same);
    if (existing) return { created: false, view: existing };
  }
  const now = new Date().toISOString();
  const record: StoredSubscription = { ...sub, createdAt: now, origin: options.origin };
  if (options.confirmed) {
    const confirmed = { ...record, confirmedAt: now };
    await store.write(sub.id, undefined, confirmed);
    await scheduleDigest(ctx.queues.digest, confirmed);
    return { created: true, view: { sub: confirmed, source: 'redis', status: statusOf(confirmed, new Map()) } };
  }
  const { confirmWithinMs, subscriptionsPerAddress } = ctx.settings.selfService;
  const outcome = await store.createPending(record, confirmWithinMs, subscriptionsPerAddress);
  if (outcome.outcome === 'cap') {
    throw new RequestError(409, `${ownerName(sub)} already has ${subscriptionsPerAddress} subscriptions, the most one address may have; delete one first`);
  }
  if (outcome.outcome === 'same') {
    const existing = await findSubscription(ctx, outcome.id);
    if (existing) return { created: false, view: existing };
  }
  const confirmationSent = sub.email ? await sendConfirmation(ctx, record) : undefined;
  return { created: true, view: { sub: record, source: 'redis', status: 'pending' }, confirmationSent };
}

/** Confirms a pending subscription; undefined when there is none of that id (expired, or never). */
export async function confirmSubscription(ctx: SelfServiceContext, id: string): Promise<StoredSubscription | undefined> {
  const store = new SubscriptionStore(ctx.redis, ctx.keys);
  const pending = await store.getPending(id);
  if (!pending) return undefined;
  const confirmed: StoredSubscription = { ...pending, confirmedAt: new Date().toISOString() };
  await store.write(id, undefined, confirmed);
  await scheduleDigest(ctx.queues.digest, confirmed);
  return confirmed;
}

/** Replaces a confirmed subscription read as `before`; 409 when someone changed it meanwhile. */
export async function updateSubscription(ctx: SelfServiceContext, before: StoredSubscription, after: StoredSubscription): Promise<void> {
  try {
    await new SubscriptionStore(ctx.redis, ctx.keys).write(before.id, before, after);
  } catch (err) {
    if (err instanceof ConcurrentChangeError) throw new RequestError(409, err.message);
    throw err;
  }
  await scheduleDigest(ctx.queues.digest, after);
}

/** Deletes a confirmed or pending subscription kept in Redis; false when there was none. */
export async function deleteSubscription(ctx: SelfServiceContext, id: string): Promise<boolean> {
  const store = new SubscriptionStore(ctx.redis, ctx.keys);
  const stored = await store.get(id);
  if (stored) {
    try {
      await store.write(id, stored, undefined);
    } catch (err) {
      if (err instanceof ConcurrentChangeError) throw new RequestError(409, err.message);
      throw err;
    }
    await scheduleDigest(ctx.queues.digest, undefined, id);
    await new AlertFeedStore(ctx.redis, ctx.keys).drop({ kind: 'subscription', id });
    return true;
  }
  const pending = await store.getPending(id);
  return pending ? store.dropPending(pending) : false;
}

// --- rules ---

export interface RuleView {
  rule: RuleConfig & { createdAt?: string };
  source: 'yaml' | 'redis';
}

export async function listRules(ctx: SelfServiceContext): Promise<RuleView[]> {
  const yaml = ctx.directory.rules().filter((r) => r.source === 'yaml');
  const stored = await new SubscriptionStore(ctx.redis, ctx.keys).allRules();
  stored.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  return [
    ...yaml.map((rule): RuleView => ({ rule, source: 'yaml' })),
    ...stored.filter((r) => !yaml.some((y) => y.id === r.id)).map((rule): RuleView => ({ rule, source: 'redis' })),
  ];
}

export async function findRule(ctx: SelfServiceContext, id: string): Promise<RuleView | undefined> {
  const yaml = ctx.directory.rule(id);
  if (yaml?.source === 'yaml') return { rule: yaml, source: 'yaml' };
  const stored = await new SubscriptionStore(ctx.redis, ctx.keys).getRule(id);
  return stored ? { rule: stored, source: 'redis' } : undefined;
}

export async function createRule(ctx: SelfServiceContext, rule: RuleConfig): Promise<StoredRule> {
  const store = new SubscriptionStore(ctx.redis, ctx.keys);
  if (ctx.directory.rule(rule.id) || (await store.getRule(rule.id))) {
    throw new RequestError(409, `there is already a rule "${rule.id}"; choose another id or leave it out`, { field: 'id' });
  }
  const record: StoredRule = { ...rule, createdAt: new Date().toISOString() };
  await writeRule(store, rule.id, undefined, record);
  return record;
}

export async function updateRule(ctx: SelfServiceContext, before: StoredRule, after: StoredRule): Promise<void> {
  await writeRule(new SubscriptionStore(ctx.redis, ctx.keys), before.id, before, after);
}

/** Deletes a rule kept in Redis; 409 while subscriptions listen to it. False when there was none. */
export async function deleteRule(ctx: SelfServiceContext, id: string): Promise<boolean> {
  const store = new SubscriptionStore(ctx.redis, ctx.keys);
  const stored = await store.getRule(id);
  if (!stored) return false;
  const users = [...(await store.all()), ...(await store.allPending()), ...ctx.directory.subscriptions()].filter((s) => s.rules.includes(id)).map((s) => s.id);
  if (users.length > 0) {
    throw new RequestError(409, `rule "${id}" is used by the subscriptions ${[...new Set(users)].map((u) => `"${u}"`).join(', ')}; take it out of them first`);
  }
  await writeRule(store, id, stored, undefined);
  await new AlertFeedStore(ctx.redis, ctx.keys).drop({ kind: 'rule', id });
  return true;
}

async function writeRule(store: SubscriptionStore, id: string, before: StoredRule | undefined, after: StoredRule | undefined): Promise<void> {
  try {
    await store.writeRule(id, before, after);
  } catch (err) {
    if (err instanceof ConcurrentChangeError) throw new RequestError(409, err.message);
    throw err;
  }
}

// --- the confirmation email ---

/** The link in a confirmation email: it leads to a page with a button that confirms by POST. */
export function confirmUrl(publicUrl: string, secret: string, subscriptionId: string, expiresAt: number): string {
  return publicLink(publicUrl, 'confirm', { s: subscriptionId, t: signToken(secret, 'confirm', subscriptionId, expiresAt) });
}

export const checkConfirmToken = (secret: string, subscriptionId: string, token: string): TokenCheck => checkToken(secret, 'confirm', subscriptionId, token);

/** What a subscription listens to, in a few words for a subject line (no line breaks). */
export function describeSubscription(sub: Pick<SubscriptionConfig, 'keywords' | 'rules'>, ruleName: (id: string) => string = (id) => id): string {
  const parts = [...(sub.keywords ? [sub.keywords] : []), ...sub.rules.map(ruleName)];
  const text = parts.join(', ').replace(/\p{Cc}|[\u2028\u2029]/gu, ' ').replace(/\s+/g, ' ').trim();
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

const frequencyText = (sub: SubscriptionConfig) =>
  sub.delivery === 'immediate' ? 'as soon as a story is found' : typeof sub.digest === 'object' ? `a digest on the schedule "${sub.digest.cron}"` : `a ${sub.digest ?? 'daily'} digest`;

export function renderConfirmationEmail(sub: SubscriptionConfig, url: string, expiresAt: number, what: string): RenderedEmail {
  const until = new Date(expiresAt).toISOString().slice(0, 16).replace('T', ' ');
  const text = [
    'Someone, hopefully you, asked Newswatch to send alerts to this address about:',
    '',
    `  ${what}`,
    '',
    `by email, ${frequencyText(sub)}.`,
    '',
    'To start them, open this link and press "Confirm":',
    url,
    '',
    `The link works until ${until} UTC. If you did not ask for this, ignore this email: nothing more will be sent.`,
  ].join('\n');
  const html = `<!doctype html>
<html><head><meta charset="utf-8"></head><body style="font-family:sans-serif;max-width:40em">
<p>Someone, hopefully you, asked Newswatch to send alerts to this address about:</p>
<p><strong>${escapeHtml(what)}</strong></p>
<p>by email, ${escapeHtml(frequencyText(sub))}.</p>
<p><a href="${escapeHtml(url)}">Confirm the subscription</a> (the page that opens has a button).</p>
<p style="color:#555;font-size:0.9em">The link works until ${until} UTC. If you did not ask for this, ignore this email: nothing more will be sent.</p>
</body></html>
`;
  return { subject: `Confirm your Newswatch alerts: ${what}`, text, html, messageId: `<confirm.${sub.id}.${Date.now()}@newswatch.local>`, headers: {} };
}

/**
 * Sends the confirmation email of a pending email subscription; false (nothing sent) when the
 * address has had web.mailsPerAddressPerDay emails today.
 */
export async function sendConfirmation(ctx: SelfServiceContext, sub: StoredSubscription): Promise<boolean> {
  if (!sub.email) return false;
  const store = new SubscriptionStore(ctx.redis, ctx.keys);
  if (!(await store.countMail(sub.email, ctx.settings.selfService.mailsPerAddressPerDay))) {
    ctx.log.warn({ subscriptionId: sub.id }, 'confirmation email not sent: the address had its emails for today');
    return false;
  }
  const expiresAt = Date.parse(sub.createdAt) + ctx.settings.selfService.confirmWithinMs;
  const url = confirmUrl(ctx.settings.publicUrl, await ctx.linkSecret(), sub.id, expiresAt);
  const what = describeSubscription(sub, (id) => ctx.directory.ruleName(id));
  await ctx.mailer.send(sub.email, renderConfirmationEmail(sub, url, expiresAt, what));
  return true;
}

function ownerName(sub: SubscriptionConfig): string {
  return sub.email ?? sub.webhook?.url ?? 'this address';
}
