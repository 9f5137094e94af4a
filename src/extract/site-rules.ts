// Per-site overrides for pages the scoring gets wrong (config/sites.yaml), as Miniflux's scraper
// rules: `content:` selects the article directly, `remove:` deletes elements before anything
// else. A rule for "example.com" also covers its subdomains; the most specific host wins.

import { load } from 'cheerio';
import { z } from 'zod';

export interface SiteRule {
  /** Host name without scheme or port, e.g. "example.com" (covers www.example.com too). */
  host: string;
  /** CSS selector(s) for the article content; every match is kept, in page order. */
  content?: string;
  /** CSS selectors removed from the page before extraction. */
  remove?: string[];
}

const probe = load('<div></div>');

function isValidSelector(selector: string): boolean {
  try {
    probe('div').find(selector);
    return true;
  } catch {
    return false;
  }
}

const HOST = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

const selector = z
  .string()
  .trim()
  .min(1, { message: 'selector is empty' })
  .refine(isValidSelector, { message: 'is not a valid CSS selector (see https://developer.mozilla.org/docs/Web/CSS/CSS_selectors)' });

export const siteRuleSchema = z.strictObject({
  host: z
    .string()
    .trim()
    .toLowerCase()
    .transform((host) => host.replace(/^www\./, ''))
    .refine((host) => HOST.test(host), {
      message: 'host must be a bare host name such as "example.com" (no scheme, port or path)',
    })
    .describe('Host the rule applies to; subdomains are included ("example.com" covers "news.example.com").'),
  content: selector.optional().describe('CSS selector for the article content; replaces the scoring on this site.'),
  remove: z.array(selector).optional().describe('CSS selectors for elements to delete before extraction.'),
});

export const siteRulesSchema = z.strictObject({
  sites: z.array(siteRuleSchema).default([]).describe('Per-site extraction overrides.'),
});

export type SiteRulesFile = z.infer<typeof siteRulesSchema>;

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase().replace(/\.$/, '');
  } catch {
    return undefined;
  }
}

/** The rule whose host is the page's host or its nearest parent domain; undefined if none. */
export function findSiteRule(url: string | undefined, rules: readonly SiteRule[]): SiteRule | undefined {
  if (!url || rules.length === 0) return undefined;
  const host = hostOf(url);
  if (!host) return undefined;
  let best: SiteRule | undefined;
  let bestLength = -1;
  for (const rule of rules) {
    const ruleHost = rule.host.toLowerCase().replace(/^www\./, '');
    const matches = host === ruleHost || host.endsWith(`.${ruleHost}`);
    if (matches && ruleHost.length > bestLength) {
      best = rule;
      bestLength = ruleHost.length;
    }
  }
  return best;
}
