// Reads an article page for its main text: fetched with the page limits of settings.yaml (the
// same for the article worker, `newswatch extract URL` and `newswatch test-rule`), decoded, and
// extracted with the sites.yaml rules in a sandbox thread, under its time and memory budget.
// The page's link comes from a stranger: given a policy, the page and every redirect hop are
// refused on private addresses (address-guard.ts). Only HTML and XHTML are extracted: any other
// content type (images, PDFs, octet streams) is a FetchError of class not-html, and the article
// is matched on the feed text.

import type { Extracted, SiteRule } from '../extract/index.js';
import type { Settings } from '../queue/context.js';
import type { Sandbox } from '../sandbox/pool.js';
import type { AddressPolicy } from './address-guard.js';
import { FetchError, fetchUrl, type HostGate } from './fetch.js';

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
  const contentType = page.headers.get('content-type');
  if (!isHtml(contentType, page.body)) {
    throw new FetchError('not-html', `${page.url}: not an HTML page (${contentType ? `content type ${contentType.split(';')[0]?.trim()}` : 'no content type, and the body is not markup'}); only HTML and XHTML pages are extracted`);
  }
  // Decoded in the sandbox thread, which gets the bytes without a copy.
  return reader.sandbox.extract(page.body, { url: baseUrl ?? page.url, siteRules: reader.siteRules, contentType });
}

const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml']);
const XML_TYPES = new Set(['text/xml', 'application/xml']);

/**
 * Whether a page is HTML: declared text/html or application/xhtml+xml; XML declared generically
 * when an <html> element opens it (XHTML served as XML); without a content type, when the body
 * starts with markup (after a byte order mark and white space).
 */
export function isHtml(contentType: string | null | undefined, body: Buffer): boolean {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (type) return HTML_TYPES.has(type) || (XML_TYPES.has(type) && /<html[\s>]/i.test(body.subarray(0, 2048).toString('latin1')));
  return startsWithMarkup(body);
}

function startsWithMarkup(body: Buffer): boolean {
  // Dropping zero bytes reads UTF-16 of either byte order as ASCII for this purpose.
  const head = body.subarray(0, 1024).toString('latin1').replace(/\0/g, '');
  return /^(\xef\xbb\xbf|\xfe\xff|\xff\xfe)?\s*</.test(head);
}
