// Signed links that need no login: confirmation, manage and alert-feed links. A token is an
// HMAC-SHA256 under the server secret (NEWSWATCH_SECRET, else the one kept in Redis; see
// unsubscribe.ts) of what it grants — a purpose and a subject such as a subscription id — and,
// for links that expire, the expiry: `<expiry in base36 ms>.<mac>`; links that do not expire
// carry the MAC alone. Nothing is stored, so a link works in every process.

import { createHmac, timingSafeEqual } from 'node:crypto';

export type LinkPurpose = 'confirm' | 'manage' | 'feed';

const mac = (secret: string, purpose: LinkPurpose, subject: string, expiry: string) =>
  createHmac('sha256', secret).update(`${purpose}\u0000${subject}\u0000${expiry}`).digest('base64url');

/** A token for `purpose` on `subject`; it expires at `expiresAt` (ms) when given. */
export function signToken(secret: string, purpose: LinkPurpose, subject: string, expiresAt?: number): string {
  const expiry = expiresAt === undefined ? '' : Math.ceil(expiresAt).toString(36);
  const sig = mac(secret, purpose, subject, expiry);
  return expiry ? `${expiry}.${sig}` : sig;
}

export type TokenCheck = 'valid' | 'expired' | 'invalid';

/** Whether `token` was made by signToken for this purpose and subject, and is still valid. */
export function checkToken(secret: string, purpose: LinkPurpose, subject: string, token: string, now = Date.now()): TokenCheck {
  const dot = token.indexOf('.');
  const expiry = dot === -1 ? '' : token.slice(0, dot);
  const expected = Buffer.from(mac(secret, purpose, subject, expiry));
  const given = Buffer.from(dot === -1 ? token : token.slice(dot + 1));
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'invalid';
  return expiry && parseInt(expiry, 36) < now ? 'expired' : 'valid';
}

/** An absolute link under PUBLIC_URL: `path` relative to it, with query parameters. */
export function publicLink(publicUrl: string, path: string, params: Record<string, string> = {}): string {
  const url = new URL(path.replace(/^\/+/, ''), publicUrl.endsWith('/') ? publicUrl : `${publicUrl}/`);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}

export type FeedOwner = 'subscription' | 'rule';

/** The private Atom and JSON Feed links of a subscription's or a rule's alerts. */
export function feedLinks(publicUrl: string, secret: string, kind: FeedOwner, id: string): { atom: string; json: string } {
  const token = signToken(secret, 'feed', `${kind}:${id}`);
  const base = `feeds/${kind}s/${encodeURIComponent(id)}`;
  return { atom: publicLink(publicUrl, `${base}/atom.xml`, { token }), json: publicLink(publicUrl, `${base}/feed.json`, { token }) };
}
