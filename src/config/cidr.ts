// Address ranges written in settings.yaml: CIDR ("10.0.0.0/8", "fd00::/8") or one address
// ("192.0.2.7", taken as /32 or /128), parsed with ipaddr.js.

import ipaddr from 'ipaddr.js';

export type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** The range, or undefined when the text is neither a CIDR range nor an address. */
export function parseRange(text: string): Range | undefined {
  const trimmed = text.trim();
  try {
    if (trimmed.includes('/')) return ipaddr.parseCIDR(trimmed);
    const address = ipaddr.parse(trimmed);
    return [address, address.kind() === 'ipv4' ? 32 : 128];
  } catch {
    return undefined;
  }
}

export const isCidr = (text: string): boolean => parseRange(text) !== undefined;
