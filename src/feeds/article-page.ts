// Reads an article page for its main text: fetched with the page limits of settings.yaml (the
// same for the article worker, `newswatch extract URL` and `newswatch test-rule`), decoded, and
// extracted with the sites.yaml rules in a sandbox thread, under its time and memory budget.
// The page's link comes from a stranger: given a policy, the page and every redirect hop are
// refused on private addresses (address-guard.ts).

import type { Extracted, SiteRule } from '../extract/index.js';
import type { Settings } from '../queue/context.js';
import type { Sandbox } from '../sandbox/pool.js';
import type { AddressPolicy } from './address-guard.js';
import { decodeBody } from './charset.js';
import { fetchUrl, type HostGate } from './fetch.js';

export interface PageReader {
  settings: Pick<Settings, 'userAgent' | 'pageTimeoutMs' | 'connectTimeoutMs' | 'pageMaxBytes' | 'maxRedirects'>;
  siteRules: SiteRule[];
  sandbox: Sandbox;
  /** The per-host limiter, so pages and feed polls of one host share its limits. */
  gate?: HostGate;
  /** What private addresses the page may be on (feeds.yaml hosts, fetch.allowAddresses); absent: any. */
  guard?: AddressPolicy;
}

/** `baseUrl`: resolves the page's relative links and picks its site rule instead of the URL it was fetched from. */
export async function readArticlePage(url: string, reader: PageReader, baseUrl?: string): Promise<Extracted> {
  const { settings } = reader;
  const page = await fetchUrl(url, {
    userAgent: settings.userAgent,
    timeoutMs: settings.pageTimeoutMs,
    connectTimeoutMs: settings.connectTimeoutMs,
    maxBytes: settings.pageMaxBytes,
    maxRedirects: settings.maxRedirects,
    accept: 'text/html, application/xhtml+xml;q=0.9, */*;q=0.5',
    gate: reader.gate,
    guard: reader.guard,
  });
  return reader.sandbox.extract(decodeBody(page.body, page.headers.get('content-type')), { url: baseUrl ?? page.url, siteRules: reader.siteRules });
}
