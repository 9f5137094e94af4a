// One-click unsubscribe links (RFC 8058): the token is an HMAC of the subscription id under a
// secret, so links cannot be guessed. The secret is NEWSWATCH_SECRET when set, else a random one
// created once in Redis and shared by every worker process.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RedisKeys } from '../queue/keys.js';
import type { RedisClient } from '../queue/redis.js';

export function unsubscribeToken(secret: string, subscriptionId: string): string {
  return createHmac('sha256', secret).update(`unsubscribe\u0000${subscriptionId}`).digest('base64url');
}

export function unsubscribeUrl(publicUrl: string, secret: string, subscriptionId: string): string {
  const url = new URL('unsubscribe', publicUrl.endsWith('/') ? publicUrl : `${publicUrl}/`);
  url.searchParams.set('s', subscriptionId);
  url.searchParams.set('t', unsubscribeToken(secret, subscriptionId));
  return url.toString();
}

/** The List-Unsubscribe mailto: for the operator's unsubscribe address: the subscription in the subject, its one-click link in the body. */
export function unsubscribeMailto(address: string, subscriptionId: string, oneClickUrl: string): string {
  return `mailto:${address}?subject=${encodeURIComponent(`unsubscribe ${subscriptionId}`)}&body=${encodeURIComponent(oneClickUrl)}`;
}

export function verifyUnsubscribeToken(secret: string, subscriptionId: string, token: string): boolean {
  const expected = Buffer.from(unsubscribeToken(secret, subscriptionId));
  const given = Buffer.from(token);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export async function linkSecret(redis: RedisClient, keys: RedisKeys, configured?: string): Promise<string> {
  if (configured) return configured;
  const key = keys.secret();
  await redis.set(key, randomBytes(32).toString('base64url'), 'NX');
  return (await redis.get(key)) as string;
}
