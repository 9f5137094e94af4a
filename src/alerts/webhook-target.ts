// Webhook targets created through the API may only reach public addresses: a URL whose host is,
// or resolves to, a loopback, private, link-local, unique-local, unspecified or metadata address
// is refused when the subscription is created or changed, unless settings.yaml
// api.allowWebhookRanges lists its range. This is the check at creation; the check at connect
// time (so that DNS rebinding cannot pass) belongs to the delivery's HTTP client. YAML webhooks
// are the operator's choice and are not checked.

import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { parseRange } from '../config/cidr.js';

/** Longest the name of a webhook host may take to resolve. */
const RESOLVE_TIMEOUT_MS = 5_000;

export class WebhookTargetError extends Error {
  override name = 'WebhookTargetError';
}

/** Why an address may not be reached, or undefined when it is public (or allowed). */
export function forbiddenAddress(address: string, allowRanges: string[]): string | undefined {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address);
  } catch {
    return 'not an IP address';
  }
  for (const text of allowRanges) {
    const range = parseRange(text);
    if (range && range[0].kind() === parsed.kind() && parsed.match(range)) return undefined;
  }
  const range = parsed.range();
  if (range === 'unicast') return undefined;
  // ipaddr.js names ranges in camel case ("linkLocal", "uniqueLocal", "carrierGradeNat").
  return `a ${range.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} address`;
}

/** Throws WebhookTargetError when the URL's host is or resolves to an address not allowed. */
export async function checkWebhookTarget(url: string, allowRanges: string[]): Promise<void> {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (ipaddr.isValid(host)) addresses = [host];
  else {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${RESOLVE_TIMEOUT_MS / 1000} s`)), RESOLVE_TIMEOUT_MS);
    });
    try {
      addresses = (await Promise.race([lookup(host, { all: true }), timeout])).map((a) => a.address);
    } catch (err) {
      throw new WebhookTargetError(`webhook URL ${url}: its host "${host}" does not resolve (${(err as Error).message}); check the host name`);
    } finally {
      clearTimeout(timer);
    }
  }
  for (const address of addresses) {
    const why = forbiddenAddress(address, allowRanges);
    if (why) {
      throw new WebhookTargetError(
        `webhook URL ${url} reaches ${ipaddr.process(address).toString()}, ${why}; webhooks created through the API may only reach public addresses (list the range in settings.yaml api.allowWebhookRanges to allow it)`,
      );
    }
  }
}
