// Article metadata from the page head: JSON-LD (schema.org Article types, also inside @graph),
// then Dublin Core / Open Graph / Twitter / article:* / Parse.ly meta, then <title>, <time> and
// <html lang>. Precedence per field is listed in `readMetadata`; the first non-empty value wins.

import {
  attr,
  elementsByTag,
  isElement,
  textContent,
  type Element,
  type ParentNode,
} from './dom.js';

export interface PageMetadata {
  title: string;
  byline?: string;
  excerpt?: string;
  siteName?: string;
  published?: string;
  language?: string;
  canonicalUrl?: string;
  leadImage?: string;
}

interface JsonLdFacts {
  title?: string;
  byline?: string;
  excerpt?: string;
  siteName?: string;
  published?: string;
  image?: string;
  url?: string;
  language?: string;
}

// schema.org Article and its subtypes (https://schema.org/Article).
const ARTICLE_TYPES = new Set([
  'Article', 'AdvertiserContentArticle', 'NewsArticle', 'AnalysisNewsArticle', 'AskPublicNewsArticle',
  'BackgroundNewsArticle', 'OpinionNewsArticle', 'ReportageNewsArticle', 'ReviewNewsArticle', 'Report',
  'SatiricalArticle', 'ScholarlyArticle', 'MedicalScholarlyArticle', 'SocialMediaPosting', 'BlogPosting',
  'LiveBlogPosting', 'DiscussionForumPosting', 'TechArticle', 'APIReference',
]);
const SCHEMA_ORG = /^https?:\/\/schema\.org\/?$/;

// `property` may hold several space-separated names; `name` holds one.
const PROPERTY_PATTERN =
  /\s*(article|dc|dcterm|og|twitter)\s*:\s*(author|creator|description|published_time|title|site_name)\s*/gi;
const NAME_PATTERN =
  /^\s*(?:(dc|dcterm|og|twitter|parsely|weibo:(article|webpage))\s*[-.:]\s*)?(author|creator|pub-date|description|title|site_name)\s*$/i;
const TITLE_SEPARATORS = / [|\-–—\\/>»] /;
const HIERARCHICAL_SEPARATORS = / [\\/>»] /;

/** `document.title`: the first <title>, with ASCII whitespace collapsed. */
export function documentTitle(root: ParentNode): string {
  const title = elementsByTag(root, 'title')[0];
  return title ? textContent(title).replace(/[\t\n\f\r ]+/g, ' ').trim() : '';
}

function wordCount(text: string): number {
  return text.split(/\s+/).length;
}

/**
 * The headline hidden in `<title>`: site names after separators (`|`, `-`, `»`, ...) or before a
 * colon are dropped unless that leaves too few words. Same rules as Firefox Reader View, so
 * titles read the same.
 */
export function titleFromDocument(root: ParentNode): string {
  const original = documentTitle(root);
  let title = original;
  let hadHierarchicalSeparators = false;

  if (TITLE_SEPARATORS.test(title)) {
    hadHierarchicalSeparators = HIERARCHICAL_SEPARATORS.test(title);
    const separators = [...original.matchAll(/ [|\-–—\\/>»] /g)];
    title = original.substring(0, separators[separators.length - 1]?.index ?? original.length);
    if (wordCount(title) < 3) title = original.replace(/^[^|\-–—\\/>»]*[|\-–—\\/>»]/g, '');
  } else if (title.includes(': ')) {
    // A heading with exactly this text means the colon belongs to the headline.
    const headings = elementsByTag(root, new Set(['h1', 'h2']));
    const trimmed = title.trim();
    if (!headings.some((h) => textContent(h).trim() === trimmed)) {
      title = original.substring(original.lastIndexOf(':') + 1);
      if (wordCount(title) < 3) title = original.substring(original.indexOf(':') + 1);
      else if (wordCount(original.substring(0, original.indexOf(':'))) > 5) title = original;
    }
  } else if (title.length > 150 || title.length < 15) {
    const h1s = elementsByTag(root, 'h1');
    if (h1s.length === 1) title = normalizeSpace(textContent(h1s[0] as Element));
  }

  title = normalizeSpace(title);
  const words = wordCount(title);
  if (
    words <= 4 &&
    (!hadHierarchicalSeparators || words !== wordCount(original.replace(/[|\-–—\\/>»]+/g, '')) - 1)
  ) {
    title = original;
  }
  return title;
}

export function normalizeSpace(text: string): string {
  return text.trim().replace(/\s{2,}/g, ' ');
}

/** Share of `b`'s words (by length) that also occur in `a`: 1 = same words, 0 = none shared. */
export function textSimilarity(a: string, b: string): number {
  const tokensA = a.toLowerCase().split(/\W+/).filter(Boolean);
  const tokensB = b.toLowerCase().split(/\W+/).filter(Boolean);
  if (tokensA.length === 0 || tokensB.length === 0) return 0;
  const inA = new Set(tokensA);
  const unique = tokensB.filter((t) => !inA.has(t));
  return 1 - unique.join(' ').length / tokensB.join(' ').length;
}

const ESCAPES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Meta values are often HTML-escaped twice; undo the second escaping. */
export function unescapeEntities(text: string | undefined): string | undefined {
  if (!text) return text;
  return text
    .replace(/&(quot|amp|apos|lt|gt);/g, (_, name: string) => ESCAPES[name] ?? '')
    .replace(/&#(?:x([0-9a-f]+)|([0-9]+));/gi, (_, hex: string | undefined, dec: string | undefined) => {
      let code = parseInt(hex ?? dec ?? '0', hex ? 16 : 10);
      if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) code = 0xfffd;
      return String.fromCodePoint(code);
    });
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function typesOf(node: Record<string, unknown>): string[] {
  const type = node['@type'];
  if (typeof type === 'string') return [type];
  if (Array.isArray(type)) return type.filter((t): t is string => typeof t === 'string');
  return [];
}

function isArticle(node: unknown): node is Record<string, unknown> {
  return (
    typeof node === 'object' && node !== null && typesOf(node as Record<string, unknown>).some((t) => ARTICLE_TYPES.has(t))
  );
}

function isSchemaOrg(context: unknown): boolean {
  if (typeof context === 'string') return SCHEMA_ORG.test(context);
  if (Array.isArray(context)) return context.some(isSchemaOrg);
  if (typeof context === 'object' && context !== null) {
    const vocab = (context as Record<string, unknown>)['@vocab'];
    return typeof vocab === 'string' && SCHEMA_ORG.test(vocab);
  }
  return false;
}

/** The first Article-typed object of a JSON-LD block: top level, in an array, or in @graph. */
function findArticle(parsed: unknown, inheritedContext: unknown): Record<string, unknown> | undefined {
  if (Array.isArray(parsed)) {
    for (const item of parsed) {
      const found = findArticle(item, inheritedContext);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const node = parsed as Record<string, unknown>;
  const context = node['@context'] ?? inheritedContext;
  if (!isSchemaOrg(context)) return undefined;
  if (isArticle(node)) return node;
  if (Array.isArray(node['@graph'])) return findArticle(node['@graph'], context);
  return undefined;
}

function names(value: unknown): string | undefined {
  if (typeof value === 'string') return str(value);
  const list = Array.isArray(value) ? value : [value];
  const found = list
    .map((item) => (typeof item === 'object' && item !== null ? str((item as Record<string, unknown>).name) : undefined))
    .filter((n): n is string => n !== undefined);
  return found.length > 0 ? found.join(', ') : undefined;
}

function imageUrl(value: unknown): string | undefined {
  if (typeof value === 'string') return str(value);
  if (Array.isArray(value)) return imageUrl(value[0]);
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    return str(record.url) ?? str(record.contentUrl);
  }
  return undefined;
}

function readJsonLd(root: ParentNode, titleOfDocument: () => string): JsonLdFacts {
  for (const script of elementsByTag(root, 'script')) {
    if (attr(script, 'type')?.trim().toLowerCase() !== 'application/ld+json') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(textContent(script).replace(/^\s*<!\[CDATA\[|\]\]>\s*$/g, ''));
    } catch {
      continue; // Broken JSON-LD is common; the meta tags usually say the same.
    }
    const article = findArticle(parsed, undefined);
    if (!article) continue;

    const facts: JsonLdFacts = {};
    const name = str(article.name);
    const headline = str(article.headline);
    if (name && headline && name !== headline) {
      // Some sites put their own name in `name`; prefer whichever resembles <title>.
      const title = titleOfDocument();
      const nameMatches = textSimilarity(name, title) > 0.75;
      const headlineMatches = textSimilarity(headline, title) > 0.75;
      facts.title = headlineMatches && !nameMatches ? headline : name;
    } else {
      facts.title = name ?? headline;
    }
    facts.byline = names(article.author);
    facts.excerpt = str(article.description);
    const publisher = article.publisher;
    if (typeof publisher === 'object' && publisher !== null) facts.siteName = names(publisher);
    facts.published = str(article.datePublished) ?? str(article.dateCreated);
    facts.image = imageUrl(article.image) ?? imageUrl(article.thumbnailUrl);
    const mainEntity = article.mainEntityOfPage;
    facts.url =
      str(article.url) ??
      (typeof mainEntity === 'string'
        ? str(mainEntity)
        : typeof mainEntity === 'object' && mainEntity !== null
          ? str((mainEntity as Record<string, unknown>)['@id'])
          : undefined);
    facts.language = str(article.inLanguage);
    return facts;
  }
  return {};
}

/**
 * Meta values by normalised key. Keys Readability knows follow its rules (only the first name
 * of a multi-valued `property` counts; a later tag overwrites an earlier one); any other
 * property, name or itemprop is kept too (first one wins) for og:image, og:url, og:locale,
 * datePublished and the like.
 */
function readMetaValues(root: ParentNode): { known: Map<string, string>; other: Map<string, string> } {
  const known = new Map<string, string>();
  const other = new Map<string, string>();
  const keep = (key: string, value: string) => {
    if (!other.has(key)) other.set(key, value);
  };
  for (const meta of elementsByTag(root, 'meta')) {
    const content = meta.attribs.content?.trim();
    if (!content) continue;
    const { property, name, itemprop } = meta.attribs;
    const match = property?.match(PROPERTY_PATTERN);
    if (match?.[0]) known.set(match[0].toLowerCase().replace(/\s/g, ''), content);
    else if (name && NAME_PATTERN.test(name)) known.set(name.toLowerCase().replace(/\s/g, '').replace(/\./g, ':'), content);
    if (property) for (const key of property.trim().toLowerCase().split(/\s+/)) keep(key, content);
    if (name) keep(name.trim().toLowerCase(), content);
    if (itemprop) keep(itemprop.trim().toLowerCase(), content);
    const httpEquiv = meta.attribs['http-equiv']?.trim().toLowerCase();
    if (httpEquiv) keep(httpEquiv, content);
  }
  return { known, other };
}

function first(...candidates: (string | undefined)[]): string | undefined {
  for (const candidate of candidates) if (candidate && candidate.trim() !== '') return candidate.trim();
  return undefined;
}

/** An ISO 8601 timestamp for a date the page states, or undefined when it cannot be read. */
export function toIsoDate(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  // Bare dates stay dates: turning "2024-05-01" into UTC midnight invents a time of day.
  if (/^\d{4}-\d{2}-\d{2}$/.test(trimmed)) return trimmed;
  // Without a year, Date.parse guesses one ("March 5" becomes 2001); better no date than that.
  if (!/\d{4}/.test(trimmed)) return undefined;
  const time = Date.parse(trimmed);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

function isUrl(text: string): boolean {
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}

function publishedFromTime(root: ParentNode): string | undefined {
  const times = elementsByTag(root, 'time');
  // A <time> marked as the publication date first, then the first <time> inside an <article>.
  const marked = times.find((t) => /datepublished|pubdate|published/i.test(`${t.attribs.itemprop ?? ''} ${t.attribs.class ?? ''} ${'pubdate' in t.attribs ? 'pubdate' : ''}`));
  const inArticle = times.find((t) => {
    for (let p = t.parent; p; p = p.parent) if (isElement(p) && p.name === 'article') return true;
    return false;
  });
  const chosen = marked ?? inArticle;
  return chosen ? (chosen.attribs.datetime ?? textContent(chosen)) : undefined;
}

function linkHref(root: ParentNode, rel: string): string | undefined {
  for (const link of elementsByTag(root, 'link')) {
    const rels = (link.attribs.rel ?? '').toLowerCase().split(/\s+/);
    if (rels.includes(rel) && link.attribs.href) return link.attribs.href.trim();
  }
  return undefined;
}

function normalizeLanguage(value: string | undefined): string | undefined {
  const tag = value?.trim().split(/[,;\s]/)[0]?.replace(/_/g, '-');
  return tag && /^[a-z]{2,3}(-[a-z0-9]{1,8})*$/i.test(tag) ? tag : undefined;
}

/**
 * Reads metadata before any cleaning (JSON-LD lives in <script>, which cleaning removes).
 * Title: JSON-LD > dc:title > og:title > weibo > <meta name=title> > twitter:title > parsely >
 * cleaned <title>. Byline: JSON-LD author > dc:creator > author > parsely-author >
 * article:author (when not a URL); the DOM byline found while scoring comes after these.
 * Published: JSON-LD > article:published_time > parsely-pub-date > dc:date > <time>.
 * Language: <html lang> > Content-Language meta > JSON-LD inLanguage > og:locale.
 * URLs (canonical, lead image) are returned as written; the caller resolves them.
 */
export function readMetadata(root: ParentNode): PageMetadata {
  let cachedTitle: string | undefined;
  const titleOfDocument = () => (cachedTitle ??= titleFromDocument(root));
  const jsonLd = readJsonLd(root, titleOfDocument);
  const { known, other } = readMetaValues(root);
  const v = (key: string) => known.get(key);
  const x = (key: string) => other.get(key);

  const title =
    first(
      jsonLd.title, v('dc:title'), v('dcterm:title'), v('og:title'), v('weibo:article:title'),
      v('weibo:webpage:title'), v('title'), v('twitter:title'), v('parsely-title'),
    ) ?? titleOfDocument();
  const articleAuthor = v('article:author');
  const byline = first(
    jsonLd.byline, v('dc:creator'), v('dcterm:creator'), v('author'), v('parsely-author'),
    articleAuthor && !isUrl(articleAuthor) ? articleAuthor : undefined,
  );
  const excerpt = first(
    jsonLd.excerpt, v('dc:description'), v('dcterm:description'), v('og:description'),
    v('weibo:article:description'), v('weibo:webpage:description'), v('description'), v('twitter:description'),
  );
  const siteName = first(jsonLd.siteName, v('og:site_name'), x('application-name'));
  const published = first(
    jsonLd.published, v('article:published_time'), v('parsely-pub-date'), x('datepublished'),
    x('dc.date'), x('dcterms.date'), x('date'), publishedFromTime(root),
  );
  const html = elementsByTag(root, 'html')[0];
  const language =
    normalizeLanguage(html?.attribs.lang) ??
    normalizeLanguage(html?.attribs['xml:lang']) ??
    normalizeLanguage(x('content-language')) ??
    normalizeLanguage(jsonLd.language) ??
    normalizeLanguage(x('og:locale'));

  return {
    title: unescapeEntities(title) ?? '',
    byline: unescapeEntities(byline),
    excerpt: unescapeEntities(excerpt),
    siteName: unescapeEntities(siteName),
    published: toIsoDate(unescapeEntities(published)),
    language,
    canonicalUrl: first(linkHref(root, 'canonical'), x('og:url'), jsonLd.url),
    leadImage: first(x('og:image'), x('og:image:url'), x('og:image:secure_url'), x('twitter:image'), x('twitter:image:src'), jsonLd.image),
  };
}
