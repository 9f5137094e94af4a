// Specification of per-site overrides: which rule applies to a URL, how `content:` and
// `remove:` change the result, and what the config schema accepts.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractArticle, findSiteRule, siteRulesSchema, type SiteRule } from '../../src/extract/index.js';

const html = readFileSync(new URL('../fixtures/extract/news-article.html', import.meta.url), 'utf8');
const url = 'https://www.courier.example/news/today/story.html';

describe('findSiteRule', () => {
  const rules: SiteRule[] = [
    { host: 'courier.example', content: '.story-body' },
    { host: 'sport.courier.example', content: '.match-report' },
    { host: 'other.example', remove: ['.ad'] },
  ];

  it('matches the host and its subdomains, preferring the most specific host', () => {
    expect(findSiteRule('https://courier.example/a', rules)).toBe(rules[0]);
    expect(findSiteRule('https://www.courier.example/a', rules)).toBe(rules[0]);
    expect(findSiteRule('https://live.sport.courier.example/a', rules)).toBe(rules[1]);
  });

  it('does not match a different host that merely ends with the same letters', () => {
    expect(findSiteRule('https://notcourier.example/a', rules)).toBeUndefined();
  });

  it('returns undefined without a URL or for an unparsable one', () => {
    expect(findSiteRule(undefined, rules)).toBeUndefined();
    expect(findSiteRule('not a url', rules)).toBeUndefined();
  });
});

describe('site rules in extractArticle', () => {
  it('uses the content selector instead of scoring', () => {
    const result = extractArticle(html, { url, siteRules: [{ host: 'courier.example', content: 'aside.related-links' }] });
    expect(result.text).toContain('Tunnel plan shelved');
    expect(result.text).not.toContain('The harbour bridge reopened');
  });

  it('keeps every element the content selector matches, in page order', () => {
    const result = extractArticle(html, {
      url,
      siteRules: [{ host: 'courier.example', content: '.story-body p:first-child, .site-footer' }],
    });
    expect(result.text).toBe(
      'The harbour bridge reopened to traffic on Tuesday morning, two years after engineers closed it when inspectors found corrosion in the main cables, a fault that had gone unnoticed for a decade.\n\nCopyright The Coastal Courier. All rights reserved, including the right to reproduce this footer.',
    );
  });

  it('removes what the remove selectors match before scoring', () => {
    const result = extractArticle(html, { url, siteRules: [{ host: 'courier.example', remove: ['figure', '.story-body p:nth-child(2)'] }] });
    expect(result.text).not.toContain('photographed from the north quay');
    expect(result.text).not.toContain('Commuters, cyclists');
    expect(result.text).toContain('The harbour bridge reopened');
  });

  it('falls back to scoring when the content selector matches nothing', () => {
    const result = extractArticle(html, { url, siteRules: [{ host: 'courier.example', content: '.no-such-thing' }] });
    expect(result.text).toContain('The harbour bridge reopened');
  });

  it('skips an invalid selector instead of failing the page', () => {
    const result = extractArticle(html, { url, siteRules: [{ host: 'courier.example', content: 'div[', remove: ['p[', 'figure'] }] });
    expect(result.text).toContain('The harbour bridge reopened');
    expect(result.text).not.toContain('photographed from the north quay');
  });

  it('ignores rules for other hosts', () => {
    const result = extractArticle(html, { url, siteRules: [{ host: 'other.example', content: 'aside.related-links' }] });
    expect(result.text).toContain('The harbour bridge reopened');
    expect(result.text).not.toContain('Tunnel plan shelved');
  });
});

describe('siteRulesSchema', () => {
  it('accepts the documented shape and normalises hosts', () => {
    const parsed = siteRulesSchema.parse({
      sites: [{ host: 'WWW.Example.com', content: 'article .body', remove: ['.ad', 'aside'] }],
    });
    expect(parsed.sites[0]).toEqual({ host: 'example.com', content: 'article .body', remove: ['.ad', 'aside'] });
  });

  it('defaults to no sites', () => {
    expect(siteRulesSchema.parse({}).sites).toEqual([]);
  });

  it.each([
    [{ host: 'https://example.com/news' }, 'host'],
    [{ host: 'example.com', content: 'div[' }, 'content'],
    [{ host: 'example.com', remove: [''] }, 'remove'],
    [{ host: 'example.com', contents: '.x' }, 'contents'],
  ])('rejects %j', (site, field) => {
    const result = siteRulesSchema.safeParse({ sites: [site] });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain(field);
  });
});
