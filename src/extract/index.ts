// Article extraction: HTML page in, main text + metadata out. Pure (no I/O): parse with cheerio,
// read metadata, strip scripts and boilerplate, then take the content a site rule selects or,
// without one, the content the readability-style scoring finds; finally make URLs absolute
// (against <base>, else options.url) and strip classes and styles from the kept HTML.

import { load, type CheerioAPI } from 'cheerio';
import {
  cleanClasses,
  fixRelativeUris,
  prepareDocument,
  prepareSelectedContent,
  simplifyNestedElements,
  urlResolver,
} from './clean.js';
import { findContent } from './content.js';
import {
  appendChild,
  createElement,
  descendants,
  elementsByTag,
  isElement,
  limitDepth,
  removeNode,
  type Element,
  type ParentNode,
} from './dom.js';
import { readMetadata } from './metadata.js';
import { limitNesting } from './nesting.js';
import { isProbablyVisible } from './signals.js';
import { findSiteRule, type SiteRule } from './site-rules.js';
import { toPlainText } from './text.js';

export { findSiteRule, siteRuleSchema, siteRulesSchema, type SiteRule, type SiteRulesFile } from './site-rules.js';
export { toPlainText } from './text.js';

export interface Extracted {
  title?: string;
  byline?: string;
  /** ISO 8601: a full timestamp, or a bare date when the page gives only a date. */
  published?: string;
  language?: string;
  siteName?: string;
  canonicalUrl?: string;
  leadImage?: string;
  /** Short description from the page's metadata, when it has one. */
  excerpt?: string;
  /** Plain text of the main content; "" when the page has no article. */
  text: string;
  /** Cleaned HTML of the main content; "" when the page has no article. */
  html: string;
  /** Tags removed before parsing because their elements sat deeper than `maxDepth`; absent when none. */
  flattenedTags?: number;
}

export interface ExtractOptions {
  /** The page's URL: resolves relative links and selects the site rule. */
  url?: string;
  siteRules?: SiteRule[];
  /** Elements nested deeper are flattened (their text kept); default 512. */
  maxDepth?: number;
}

function absoluteUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).href;
  } catch {
    return undefined;
  }
}

/** `document.baseURI`: the first <base href>, resolved against the page URL. */
function baseUrlOf(root: ParentNode, documentUrl: string | undefined): string | undefined {
  const base = elementsByTag(root, 'base').find((el) => el.attribs.href !== undefined);
  if (!base) return documentUrl;
  try {
    return new URL((base.attribs.href as string).trim(), documentUrl).href;
  } catch {
    return documentUrl;
  }
}

/**
 * Elements matching `selector`; none for an invalid selector. Rules are validated when config
 * loads, but a rule that slips through must not stop extraction of the page.
 */
function select($: CheerioAPI, selector: string): Element[] {
  try {
    return $(selector).toArray().filter(isElement);
  } catch {
    return [];
  }
}

/** Content chosen by a site rule's selector; undefined when it matches nothing. */
function contentFromRule($: CheerioAPI, selector: string): Element | undefined {
  const matches = select($, selector);
  const chosen = new Set(matches);
  // An element inside another match is already included with it.
  const outermost = matches.filter((el) => {
    for (let p = el.parent; p; p = p.parent) if (chosen.has(p as Element)) return false;
    return true;
  });
  if (outermost.length === 0) return undefined;
  const article = createElement('div');
  const page = createElement('div');
  appendChild(article, page);
  for (const el of outermost) appendChild(page, el);
  // Hidden parts of the chosen content (collapsed menus, "hidden" templates) are still hidden.
  for (const el of descendants(page)) if (!isProbablyVisible(el)) removeNode(el);
  prepareSelectedContent(article);
  return article;
}

/**
 * Deeper elements are flattened, as browsers do; real pages stay far below (about 40). The text
 * is capped before parsing (parse5 is quadratic in depth) and the tree again after, for the
 * markup the pre-scan cannot foresee.
 */
const MAX_DEPTH = 512;

/**
 * A UTF-16 surrogate without its pair (text decoded from broken UTF-16, or cut mid-character).
 * Two in a row make parse5 throw a RangeError (found by fuzzing, issue 13); a browser's decoder
 * would have given U+FFFD, and so does extractArticle.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function extractArticle(source: string, options: ExtractOptions = {}): Extracted {
  const maxDepth = options.maxDepth ?? MAX_DEPTH;
  const { html, removedTags } = limitNesting(source.replace(LONE_SURROGATE, '\ufffd'), maxDepth);
  const $ = load(html);
  const root = $.root()[0] as ParentNode;
  const documentUrl = absoluteUrl(options.url);
  const baseUrl = baseUrlOf(root, documentUrl);
  const resolve = urlResolver(baseUrl, documentUrl);
  const resolveAbsolute = (url: string | undefined) => (url ? absoluteUrl(resolve(url)) : undefined);

  const metadata = readMetadata(root);
  const canonicalUrl = resolveAbsolute(metadata.canonicalUrl) ?? documentUrl;
  const rule = findSiteRule(documentUrl ?? canonicalUrl, options.siteRules ?? []);

  const prepare = (page: CheerioAPI): ParentNode => {
    const pageRoot = page.root()[0] as ParentNode;
    limitDepth(pageRoot, maxDepth);
    prepareDocument(pageRoot);
    for (const selector of rule?.remove ?? []) for (const el of select(page, selector)) removeNode(el);
    return pageRoot;
  };
  prepare($);

  let article: Element | undefined;
  let byline = metadata.byline;
  if (rule?.content) article = contentFromRule($, rule.content);
  if (!article) {
    // Retries start again from the page as parsed; see findContent.
    const prepared = (pass: number) => (pass === 0 ? root : prepare(load(html)));
    const found = findContent(prepared, metadata.title, metadata.byline);
    article = found?.content;
    byline ??= found?.byline || undefined;
  }

  let text = '';
  let contentHtml = '';
  let firstImage: string | undefined;
  const page = article?.children[0] as Element | undefined;
  if (article && page) {
    fixRelativeUris(article, resolve);
    simplifyNestedElements(page);
    cleanClasses(article);
    text = toPlainText(page);
    contentHtml = $.html(page.children).trim();
    firstImage = elementsByTag(page, 'img').find((img) => img.attribs.src && !img.attribs.src.startsWith('data:'))?.attribs.src;
  }

  return {
    title: metadata.title || undefined,
    byline,
    published: metadata.published,
    language: metadata.language,
    siteName: metadata.siteName,
    canonicalUrl,
    leadImage: resolveAbsolute(metadata.leadImage) ?? absoluteUrl(firstImage),
    excerpt: metadata.excerpt,
    text,
    html: contentHtml,
    ...(removedTags > 0 ? { flattenedTags: removedTags } : {}),
  };
}
