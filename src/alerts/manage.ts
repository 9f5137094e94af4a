// What a reader can do with their own subscriptions without a password: a signed manage link per
// address (in every email, and on request by email), the list of the address's subscriptions,
// and ending one at once (one-click unsubscribe, RFC 8058). Rules:
// - A manage link names the address and carries an HMAC of it (links.ts, purpose "manage"); it
//   does not expire, as the links in old emails must keep working. Anyone holding it can manage
//   that address's subscriptions, as with the unsubscribe link.
// - "Send me my manage link" tells nobody whether an address has subscriptions: the email goes
//   only to an address that has some, within web.mailsPerAddressPerDay, and the page says the
//   same either way.
// - Unsubscribing a subscription kept in Redis deletes it; one from subscriptions.yaml (which
//   only the operator edits) is disabled in Redis, as a 410 Gone webhook disables one.

import { cached } from '../bounded-cache.js';
import type { SubscriptionConfig } from '../config/schema.js';
import { checkToken, publicLink, signToken } from './links.js';
import { escapeHtml, type EmailContext, type RenderedEmail } from './render-email.js';
import { deleteSubscription, describeSubscription, type SelfServiceContext } from './self-service.js';
import { SubscriptionStore, type StoredSubscription } from './subscription-store.js';
import { SubscriptionState } from './subscriptions.js';
import { unsubscribeMailto, unsubscribeUrl } from './unsubscribe.js';

const normal = (address: string) => address.trim().toLowerCase();

export function manageUrl(publicUrl: string, secret: string, address: string): string {
  return publicLink(publicUrl, 'manage', { a: normal(address), t: signToken(secret, 'manage', normal(address)) });
}

type Links = Pick<EmailContext, 'unsubscribeUrl' | 'unsubscribeMailto' | 'manageUrl'>;

/** Each subscription's links as last built (two HMACs per email otherwise); bounded. */
const linksBuilt = new Map<string, Links>();
const LINKS_MAX = 10_000;

/** The links of every alert and digest email: one-click unsubscribe (with its mailto when configured) and the manage page. */
export async function emailLinks(ctx: Pick<SelfServiceContext, 'settings' | 'linkSecret'>, sub: SubscriptionConfig): Promise<EmailContext> {
  const secret = await ctx.linkSecret();
  const { publicUrl, unsubscribeMailto: mailto } = ctx.settings;
  // Everything a link is made of, so a changed secret, URL or address makes new links.
  const key = [secret, publicUrl, mailto ?? '', sub.id, sub.email ?? ''].join('\u0000');
  const links = cached(linksBuilt, key, LINKS_MAX, () => {
    const oneClick = unsubscribeUrl(publicUrl, secret, sub.id);
    return {
      unsubscribeUrl: oneClick,
      unsubscribeMailto: mailto ? unsubscribeMailto(mailto, sub.id, oneClick) : undefined,
      manageUrl: sub.email ? manageUrl(publicUrl, secret, sub.email) : undefined,
    };
  });
  return { timezone: sub.timezone, ...links };
}

export const checkManageToken = (secret: string, address: string, token: string): boolean => checkToken(secret, 'manage', normal(address), token) === 'valid';

/** The address's confirmed subscriptions kept in Redis, oldest first. */
export async function subscriptionsOf(ctx: SelfServiceContext, address: string): Promise<StoredSubscription[]> {
  const store = new SubscriptionStore(ctx.redis, ctx.keys);
  const found = await store.some(await store.idsOf(address));
  return [...found.values()].filter((s) => s.email && normal(s.email) === normal(address)).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

export function renderManageLinkEmail(url: string): RenderedEmail {
  const text = ['Here is the link to change or stop your Newswatch alerts:', url, '', 'If you did not ask for it, ignore this email; nothing changes.'].join('\n');
  const html = `<!doctype html>
<html><head><meta charset="utf-8"></head><body style="font-family:sans-serif;max-width:40em">
<p><a href="${escapeHtml(url)}">Change or stop your Newswatch alerts</a></p>
<p style="color:#555;font-size:0.9em">If you did not ask for it, ignore this email; nothing changes.</p>
</body></html>
`;
  return { subject: 'Your Newswatch alerts: the link to manage them', text: `${text}\n`, html, messageId: `<manage.${Date.now()}.${Math.random().toString(36).slice(2)}@newswatch.local>`, headers: {} };
}

/** Emails the manage link to an address that has subscriptions; false when nothing was sent (none, or over the daily limit). */
export async function sendManageLink(ctx: SelfServiceContext, address: string): Promise<boolean> {
  if ((await subscriptionsOf(ctx, address)).length === 0) return false;
  if (!(await new SubscriptionStore(ctx.redis, ctx.keys).countMail(address, ctx.settings.selfService.mailsPerAddressPerDay))) return false;
  await ctx.mailer.send(address, renderManageLinkEmail(manageUrl(ctx.settings.publicUrl, await ctx.linkSecret(), address)));
  return true;
}

/** Ends a subscription at once; what it was about, or undefined when there is none. */
export async function unsubscribe(ctx: SelfServiceContext, subscriptionId: string): Promise<{ what: string } | undefined> {
  const describe = (sub: SubscriptionConfig) => ({ what: describeSubscription(sub, (id) => ctx.directory.ruleName(id)) });
  const yaml = ctx.directory.subscription(subscriptionId);
  if (yaml?.source === 'yaml') {
    await new SubscriptionState(ctx.redis, ctx.keys).disable(subscriptionId, 'unsubscribed by the reader (List-Unsubscribe)');
    return describe(yaml);
  }
  const stored = await new SubscriptionStore(ctx.redis, ctx.keys).get(subscriptionId);
  if (!stored || !(await deleteSubscription(ctx, subscriptionId))) return undefined;
  return describe(stored);
}
