// Reads an article page for its main text: fetched with the page limits of settings.yaml (the
// same for the article worker and `newswatch test-rule`), decoded, and extracted with the
// sites.yaml rules.

import { extractArticle, type Extracted, type SiteRule } from '../extract/index.js';
import type { Settings } from '../queue/context.js';
import { decodeBody } from './charset.js';
import { fetchUrl, type HostGate } from './fetch.js';

type PageSettings = Pick<Settings, 'userAgent' | 'pageTimeoutMs' | 'connectTimeoutMs' | 'pageMaxBytes' | 'maxRedirects'>;

/** `gate`: the per-host limiter, so pages and feed polls of one host share its limits. */
export async function readArticlePage(url: string, settings: PageSettings, siteRules: SiteRule[], gate?: HostGate): Promise<Extracted> {
  const page = await fetchUrl(url, {
    userAgent: settings.userAgent,
    timeoutMs: settings.pageTimeoutMs,
    connectTimeoutMs: settings.connectTimeoutMs,
    maxBytes: settings.pageMaxBytes,
    maxRedirects: settings.maxRedirects,
    accept: 'text/html, application/xhtml+xml;q=0.9, */*;q=0.5',
    gate,
  });
  return extractArticle(decodeBody(page.body, page.headers.get('content-type')), { url: page.url, siteRules });
}
