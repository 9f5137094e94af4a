// Keeps links that strangers write (article pages, their redirects, webhooks created through the
// API) away from the private network (SSRF). Rules: the address a connection goes to, after DNS
// and at connect time (so DNS rebinding cannot pass), must be ordinary public unicast — loopback,
// private, link-local (cloud metadata), unique-local, unspecified, carrier-grade NAT and every
// other special range are refused. The exceptions are what the operator chose: the hosts of the
// feeds in feeds.yaml (same host name or IP, any port) and the ranges of `fetch.allowAddresses`.

import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector } from 'undici';
import { parseRange, type Range } from '../config/cidr.js';

/** What the operator allowed besides the public internet. */
export interface AddressPolicy {
  /** Host names and IPs (of feeds.yaml's feeds) reached whatever they resolve to. */
  hosts: string[];
  /** Addresses and CIDR ranges (settings.yaml `fetch.allowAddresses`), e.g. 10.0.0.0/8, fd00::/8. */
  ranges: string[];
}

/** Error code of a refused connection, as the fetch modules find it in an error's cause. */
export const ADDRESS_REFUSED = 'ERR_NEWSWATCH_ADDRESS_REFUSED';

export class AddressRefusedError extends Error {
  readonly code = ADDRESS_REFUSED;
  constructor(host: string, address: string, kind: string) {
    const shown = host === address ? address : `${host} (${address})`;
    super(
      `refused to connect to ${shown}: a ${kind} address, and not a feed host of feeds.yaml; ` +
        'add it to fetch.allowAddresses in settings.yaml if it is meant to be reached',
    );
    this.name = 'AddressRefusedError';
  }
}

const KIND: Record<string, string> = {
  loopback: 'loopback',
  private: 'private',
  linkLocal: 'link-local (cloud metadata)',
  uniqueLocal: 'unique-local',
  unspecified: 'unspecified',
  carrierGradeNat: 'carrier-grade NAT',
  multicast: 'multicast',
  broadcast: 'broadcast',
};

/**
 * Why an address may not be reached by a stranger's link ("loopback", "private", …), or
 * undefined for public unicast. IPv4-mapped IPv6 (::ffff:10.0.0.1) is judged as its IPv4.
 */
export function addressKind(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return 'unparsable';
  const parsed = ipaddr.process(address);
  const range = parsed.range();
  return range === 'unicast' ? undefined : (KIND[range] ?? `special-purpose (${range})`);
}

/** The host of a URL as connections name it: lower case, IPv6 without brackets. */
export const hostOf = (url: string): string => new URL(url).hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');

const policies = new WeakMap<readonly { url: string }[], Map<string, AddressPolicy>>();

/**
 * The policy for a config: its feeds' hosts and the allowed ranges of settings.yaml. Built once
 * per feed list (a reload brings a new one) and ranges, as workers ask for it per page and per
 * webhook, and reading every feed's host costs about 1 µs per feed.
 */
export function addressPolicy(feeds: readonly { url: string }[], ranges: readonly string[]): AddressPolicy {
  let byRanges = policies.get(feeds);
  if (!byRanges) {
    byRanges = new Map();
    policies.set(feeds, byRanges);
  }
  const key = JSON.stringify(ranges);
  let policy = byRanges.get(key);
  if (!policy) {
    policy = Object.freeze({ hosts: Object.freeze([...new Set(feeds.map((f) => hostOf(f.url)))].sort()) as string[], ranges: Object.freeze([...ranges]) as string[] });
    byRanges.set(key, policy);
  }
  return policy;
}

/** Checks addresses against a policy; built once per policy. */
class Checker {
  private readonly hosts: Set<string>;
  private readonly ranges: Range[];

  constructor(policy: AddressPolicy) {
    this.hosts = new Set(policy.hosts.map((h) => normaliseIp(h.toLowerCase())));
    this.ranges = policy.ranges.map(parseRange).filter((r): r is Range => r !== undefined);
  }

  /** The refusal for connecting to `address` (resolved from `host`), or undefined when allowed. */
  refusal(host: string, address: string): AddressRefusedError | undefined {
    if (this.hosts.has(normaliseIp(host.toLowerCase())) || this.hosts.has(normaliseIp(address))) return undefined;
    const kind = addressKind(address);
    if (kind === undefined) return undefined;
    const parsed = ipaddr.process(address);
    if (this.ranges.some(([net, bits]) => net.kind() === parsed.kind() && parsed.match(net, bits))) return undefined;
    return new AddressRefusedError(host, address, kind);
  }
}

/** The refusal for connecting to `address`, resolved from `host`, under `policy`; undefined when allowed. */
export function refusalFor(policy: AddressPolicy, host: string, address: string): AddressRefusedError | undefined {
  return new Checker(policy).refusal(host, address);
}

/** IPs in one spelling (::ffff:127.0.0.1 is 127.0.0.1); host names unchanged. */
function normaliseIp(host: string): string {
  return ipaddr.isValid(host) ? ipaddr.process(host).toString() : host;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A dns.lookup that drops the addresses the policy refuses, and fails when none is left. */
function guardedLookup(checker: Checker) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const allowed = addresses.filter((a) => !checker.refusal(hostname, a.address));
      const [first] = allowed;
      if (!first) {
        const refused = addresses[0] && checker.refusal(hostname, addresses[0].address);
        return callback(refused ?? Object.assign(new Error(`${hostname}: no address`), { code: 'ENOTFOUND' }), []);
      }
      if (options.all) return callback(null, allowed);
      callback(null, first.address, first.family);
    });
  };
}

const agents = new Map<string, Agent>();
/** The same agents by policy object, so a policy asked for again (addressPolicy) is not re-keyed. */
const agentsByPolicy = new WeakMap<AddressPolicy, Map<number, Agent>>();

/**
 * A connection pool whose every connection is checked against the policy: host names through a
 * lookup that refuses the addresses they resolve to, IP literals before connecting. One per
 * (policy, connect timeout), so sockets are reused across requests.
 */
export function guardedAgent(policy: AddressPolicy, connectTimeoutMs: number): Agent {
  let byTimeout = agentsByPolicy.get(policy);
  if (!byTimeout) {
    byTimeout = new Map();
    agentsByPolicy.set(policy, byTimeout);
  }
  const known = byTimeout.get(connectTimeoutMs);
  if (known) return known;
  const key = JSON.stringify([policy.hosts, policy.ranges, connectTimeoutMs]);
  let agent = agents.get(key);
  if (!agent) {
    const checker = new Checker(policy);
    const connect = buildConnector({ timeout: connectTimeoutMs, lookup: guardedLookup(checker) } as buildConnector.BuildOptions);
    agent = new Agent({
      headersTimeout: 0,
      bodyTimeout: 0,
      connect: (options, callback) => {
        const refusal = isIP(options.hostname) ? checker.refusal(options.hostname, options.hostname) : undefined;
        if (refusal) process.nextTick(() => callback(refusal, null));
        else connect(options, callback);
      },
    });
    agents.set(key, agent);
  }
  byTimeout.set(connectTimeoutMs, agent);
  return agent;
}
