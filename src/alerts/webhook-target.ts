// Webhook targets created through the API are checked when the subscription is created or
// changed, so that the client hears at once (422) what the delivery's connect-time guard
// (src/feeds/address-guard.ts, which DNS rebinding cannot pass) would refuse later: a host that
// is, or resolves to, a loopback, private, link-local, unique-local or other non-public address,
// unless it is a feed host of feeds.yaml or allowed by settings.yaml (fetch.allowAddresses,
// api.allowWebhookRanges). YAML webhooks are the operator's choice and are not checked.

import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { hostOf, refusalFor, type AddressPolicy } from '../feeds/address-guard.js';

/** Longest the name of a webhook host may take to resolve. */
const RESOLVE_TIMEOUT_MS = 5_000;

export class WebhookTargetError extends Error {
  override name = 'WebhookTargetError';
}

/** Throws WebhookTargetError when the URL's host is or resolves to an address the policy refuses. */
export async function checkWebhookTarget(url: string, policy: AddressPolicy): Promise<void> {
  const host = hostOf(url);
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
    const refusal = refusalFor(policy, host, address);
    if (refusal) throw new WebhookTargetError(`webhook URL ${url}: ${refusal.message}`);
  }
}
