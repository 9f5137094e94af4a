// Feed text to raw items: rss-parser for RSS 0.9x/1.0/2.0 and Atom, json-feed.ts for JSON Feed
// 1.0/1.1 (rss-parser does not read it). A feed that is not well-formed XML gets one more try
// after repairXml. Values stay raw here (dates as written, HTML as given, xml:base unresolved);
// normalise.ts cleans them. Anything unreadable is a FetchError of class "not-a-feed".

import Parser from 'rss-parser';
import { FetchError } from './fetch.js';
import { parseJsonFeed } from './json-feed.js';
import { repairXml } from './xml-repair.js';

export interface RawItem {
  guid?: string;
  link?: string;
  title?: string;
  summary?: string;
  contentHtml?: string;
  author?: string;
  categories?: string[];
  /** As written in the feed: published, else updated. */
  published?: string;
  language?: string;
  /** xml:base values around the item, outermost first, each relative to the one before. */
  bases?: string[];
}

export interface ParsedFeed {
  title?: string;
  link?: string;
  language?: string;
  items: RawItem[];
}

type Attrs = Record<string, string | undefined>;
type XmlValue = string | { _?: string; $?: Attrs };
interface XmlLink {
  $?: Attrs;
}

interface FeedFields {
  language?: string;
  dcLanguage?: string;
  attrs?: Attrs;
}
interface ItemFields {
  id?: string;
  author?: string;
  creator?: string;
  summary?: string;
  date?: string;
  language?: string;
  'content:encoded'?: string;
  attrs?: Attrs;
  links?: (XmlLink | string)[];
  publishedRaw?: XmlValue;
  updatedRaw?: XmlValue;
  atomCategories?: XmlValue[];
  subjects?: XmlValue[];
  contentAttrs?: XmlValue;
}
type RssItem = Parser.Item & ItemFields;

const PARSER_OPTIONS = {
  // Feeds without a version attribute on <rss> are read as RSS 2.0.
  defaultRSS: 2,
  customFields: {
    feed: ['language', ['dc:language', 'dcLanguage'], ['$', 'attrs', { keepArray: true }]],
    item: [
      'id',
      'author',
      'summary',
      ['$', 'attrs', { keepArray: true }],
      ['link', 'links', { keepArray: true }],
      ['published', 'publishedRaw'],
      ['updated', 'updatedRaw'],
      ['category', 'atomCategories', { keepArray: true }],
      ['dc:subject', 'subjects', { keepArray: true }],
      ['content', 'contentAttrs'],
    ],
  },
} as Parser.ParserOptions<FeedFields, RssItem>;

/**
 * A new parser per feed: an xml2js parser that failed once may never call back on its next
 * document, which would hang the poll. Creating one is cheap.
 */
function createParser(): Parser<FeedFields, RssItem> {
  const parser = new Parser<FeedFields, RssItem>(PARSER_OPTIONS);
  // rss-parser turns Atom dates into ISO strings with Date#toISOString, which throws on a date
  // it cannot read and so loses the whole feed. We read dates ourselves, so an entry whose dates
  // rss-parser cannot read is parsed again without them.
  const internals = parser as unknown as { parseItemAtom(entry: AtomEntry): RssItem };
  const parseItemAtom = internals.parseItemAtom.bind(parser);
  internals.parseItemAtom = (entry) => {
    try {
      return parseItemAtom(entry);
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      const { published, updated, ...rest } = entry;
      return { ...parseItemAtom(rest), publishedRaw: first(published), updatedRaw: first(updated) };
    }
  };
  return parser;
}

type AtomEntry = Record<string, unknown>;
const first = (v: unknown): XmlValue | undefined => (Array.isArray(v) ? (v[0] as XmlValue) : undefined);

export async function parseFeed(text: string, source: string): Promise<ParsedFeed> {
  const trimmed = text.replace(/^\uFEFF/, '').trimStart();
  if (trimmed.startsWith('{')) return parseJsonFeed(trimmed, source);
  if (!trimmed.startsWith('<')) throw new FetchError('not-a-feed', `${source}: not XML or JSON (starts with "${trimmed.slice(0, 20)}")`);
  let feed: Parser.Output<RssItem> & FeedFields;
  try {
    feed = await createParser().parseString(trimmed);
  } catch (strictError) {
    try {
      feed = await createParser().parseString(repairXml(trimmed));
    } catch {
      throw new FetchError('not-a-feed', `${source}: not a readable RSS/Atom feed: ${explain(strictError, trimmed)}`);
    }
  }
  const feedBase = feed.attrs?.['xml:base'];
  return {
    title: text_(feed.title),
    link: feed.link,
    language: feed.language ?? feed.dcLanguage ?? feed.attrs?.['xml:lang'],
    items: (feed.items ?? []).map((item) => rawItem(item, feedBase)),
  };
}

/** rss-parser's own errors are clear; a TypeError from inside it means a structure it cannot walk. */
function explain(err: unknown, text: string): string {
  if (!(err instanceof TypeError)) return (err as Error).message.split('\n')[0] ?? String(err);
  const root = /<(?!\?|!)([\w:]+)/.exec(text)?.[1] ?? 'unknown';
  if (/^rss$/i.test(root) && !/<channel[\s>]/i.test(text)) return 'an <rss> document without a <channel>';
  return `the <${root}> document is not laid out as RSS or Atom (${err.message})`;
}

function rawItem(item: RssItem, feedBase: string | undefined): RawItem {
  const link = pickLink(item);
  const contentBase = typeof item.contentAttrs === 'object' ? item.contentAttrs.$?.['xml:base'] : undefined;
  const bases = [feedBase, item.attrs?.['xml:base'], link?.base ?? contentBase].filter((b): b is string => Boolean(b));
  return {
    guid: text_(item.guid ?? item.id),
    link: link?.href,
    title: text_(item.title),
    summary: item.summary ?? item.contentSnippet,
    contentHtml: item['content:encoded'] ?? item.content,
    author: text_(item.creator ?? item.author),
    categories: categories(item),
    // Atom's raw published/updated first: rss-parser has already rewritten Atom's pubDate.
    published: text_(item.publishedRaw) ?? text_(item.updatedRaw) ?? text_(item.pubDate) ?? text_(item.date),
    language: item.language ?? item.attrs?.['xml:lang'],
    bases: bases.length ? bases : undefined,
  };
}

/** The alternate link (Atom) or the link (RSS), with the xml:base on the link element itself. */
function pickLink(item: RssItem): { href: string; base?: string } | undefined {
  const links = (item.links ?? []).map((l) => (typeof l === 'string' ? { $: { href: l } } : l));
  const atom = links.filter((l) => l.$?.href !== undefined);
  const chosen = atom.find((l) => (l.$?.rel ?? 'alternate') === 'alternate') ?? atom[0];
  if (chosen?.$?.href) return { href: chosen.$.href.trim(), base: chosen.$['xml:base'] };
  const href = text_(item.link);
  return href ? { href } : undefined;
}

function categories(item: RssItem): string[] | undefined {
  const raw: unknown[] = [...(item.categories ?? []), ...(item.atomCategories ?? []), ...(item.subjects ?? [])];
  const names = raw.map((c) => (typeof c === 'string' ? c : text_(c as XmlValue) ?? (c as XmlValue & { $?: Attrs }).$?.label ?? (c as { $?: Attrs }).$?.term));
  const unique = [...new Set(names.map((n) => n?.trim()).filter((n): n is string => Boolean(n)))];
  return unique.length ? unique : undefined;
}

/** Text of an xml2js value: a string, or the text of an element that also had attributes. */
function text_(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() || undefined;
  if (value && typeof value === 'object' && typeof (value as { _?: unknown })._ === 'string') return ((value as { _: string })._).trim() || undefined;
  return undefined;
}
