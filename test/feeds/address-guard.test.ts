// The SSRF guard: which addresses a stranger's link may reach (v4, v6, v4-mapped v6), and fetchUrl
// with a policy against real servers on 127.0.0.1 (the feed's host, allowed) and 127.0.0.2 (a
// private host: Linux routes all of 127/8 to the loopback interface).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressKind, addressPolicy, guardedAgent, type AddressPolicy } from '../../src/feeds/address-guard.js';
import { FetchError, fetchUrl, type FetchOptions } from '../../src/feeds/fetch.js';
import { startHttpServer, type TestServer } from '../helpers/http.js';

describe('addressKind', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.0.0.2', 'loopback'],
    ['10.0.0.5', 'private'],
    ['172.16.4.1', 'private'],
    ['192.168.1.20', 'private'],
    ['169.254.169.254', 'link-local (cloud metadata)'],
    ['0.0.0.0', 'unspecified'],
    ['100.100.100.200', 'carrier-grade NAT'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local (cloud metadata)'],
    ['fc00::1', 'unique-local'],
    ['fd00:ec2::254', 'unique-local'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:169.254.169.254', 'link-local (cloud metadata)'],
  ])('refuses %s as %s', (address, kind) => {
    expect(addressKind(address)).toBe(kind);
  });

  it.each(['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '::ffff:93.184.215.14'])('lets public %s through', (address) => {
    expect(addressKind(address)).toBeUndefined();
  });

  it('takes the policy hosts from feed URLs, IPv6 without brackets', () => {
    expect(addressPolicy([{ url: 'http://[::1]:8080/feed' }, { url: 'https://News.Example.org/rss' }, { url: 'http://127.0.0.1/a' }], ['10.0.0.0/8'])).toEqual({
      hosts: ['127.0.0.1', '::1', 'news.example.org'],
      ranges: ['10.0.0.0/8'],
    });
  });

  it('builds the policy of a feed list once per ranges, and a reloaded list gets its own', () => {
    const feeds = [{ url: 'https://news.example.org/rss' }];
    const policy = addressPolicy(feeds, ['10.0.0.0/8']);
    expect(addressPolicy(feeds, ['10.0.0.0/8'])).toBe(policy);
    expect(guardedAgent(addressPolicy(feeds, ['10.0.0.0/8']), 1_000)).toBe(guardedAgent(policy, 1_000));
    expect(addressPolicy(feeds, ['192.168.0.0/16']).ranges).toEqual(['192.168.0.0/16']);
    const reloaded = [...feeds, { url: 'https://wire.example.org/rss' }];
    expect(addressPolicy(reloaded, ['10.0.0.0/8']).hosts).toEqual(['news.example.org', 'wire.example.org']);
    expect(Object.isFrozen(policy.hosts)).toBe(true);
  });
});

describe('fetchUrl with an address policy', () => {
  let feedHost: TestServer;
  let privateHost: TestServer;
  const options: FetchOptions = { userAgent: 'Newswatch/test', timeoutMs: 5_000, maxBytes: 64 * 1024 };
  let guard: AddressPolicy;

  async function refusal(url: string, policy = guard): Promise<FetchError> {
    const err = await fetchUrl(url, { ...options, guard: policy }).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(err instanceof FetchError)) throw new Error(`expected a FetchError for ${url}, got ${String(err)}`);
    return err;
  }

  beforeAll(async () => {
    feedHost = await startHttpServer('127.0.0.1');
    privateHost = await startHttpServer('127.0.0.2');
    guard = addressPolicy([{ url: `${feedHost.url}/feed.xml` }], []);
    feedHost.route('/own', (_req, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end('<p>own page</p>'));
    feedHost.route('/to-private', (_req, res) => void res.writeHead(302, { location: `${privateHost.url}/secret` }).end());
    privateHost.route('/secret', (_req, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end('<p>secret</p>'));
  });

  afterAll(async () => {
    await feedHost?.close();
    await privateHost?.close();
  });

  it("reads the feed host's own pages, on any port", async () => {
    expect((await fetchUrl(`${feedHost.url}/own`, { ...options, guard })).body.toString()).toBe('<p>own page</p>');
  });

  it('refuses a link to another loopback address, with the address and the way to allow it', async () => {
    const err = await refusal(`${privateHost.url}/secret`);
    expect(err.errorClass).toBe('blocked-address');
    expect(err.message).toContain('refused to connect to 127.0.0.2: a loopback address');
    expect(err.message).toContain('fetch.allowAddresses in settings.yaml');
    expect(privateHost.requests).toHaveLength(0);
  });

  it('refuses a redirect from the feed host to a private address', async () => {
    const err = await refusal(`${feedHost.url}/to-private`);
    expect(err.errorClass).toBe('blocked-address');
    expect(err.message).toContain(`${privateHost.url}/secret`);
    expect(privateHost.requests).toHaveLength(0);
  });

  it('checks the address a host name resolves to, and lets the feed host by name through', async () => {
    const ownByName = `${feedHost.url.replace('127.0.0.1', 'localhost')}/own`;
    const err = await refusal(ownByName, addressPolicy([{ url: 'https://feeds.example.org/rss' }], []));
    expect(err.errorClass).toBe('blocked-address');
    expect(err.message).toMatch(/refused to connect to localhost \((127\.0\.0\.1|::1)\): a loopback address/);
    const byName = addressPolicy([{ url: 'http://localhost:9/feed.xml' }], []);
    expect((await fetchUrl(ownByName, { ...options, guard: byName })).body.toString()).toBe('<p>own page</p>');
  });

  it('reaches a private address in an allowed range', async () => {
    const allowed = addressPolicy([], ['127.0.0.2/32']);
    expect((await fetchUrl(`${privateHost.url}/secret`, { ...options, guard: allowed })).body.toString()).toBe('<p>secret</p>');
    expect((await refusal(`${feedHost.url}/own`, allowed)).errorClass).toBe('blocked-address');
  });

  it('fetches anything without a policy (feeds the operator listed)', async () => {
    expect((await fetchUrl(`${feedHost.url}/to-private`, options)).body.toString()).toBe('<p>secret</p>');
  });
});
