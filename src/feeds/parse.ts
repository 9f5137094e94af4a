// Feed text to raw items: rss-parser for RSS 0.9x/1.0/2.0 and Atom, json-feed.ts for JSON Feed
// 1.0/1.1 (rss-parser does not read it). XML is first put in canonical form (xml-canonical.ts:
// namespaces resolved, every text construct one HTML string), and rss-parser is handed the tree
// its xml2js would read from that form, built from the same pass (xml2js-tree.ts); a feed that
// is not well-formed XML gets one more try after repairXml. Where a feed leaves a field out, the fallbacks publishers
// rely on are read: Media RSS (also inside media:group) for title, description and categories,
// Dublin Core and dcterms for description, author and dates, iTunes for summary, author and
// categories, rdf:about for the id. Values stay raw here (dates as written, HTML as given,
// xml:base unresolved); normalise.ts cleans them. Anything unreadable is a FetchError of class
// "not-a-feed". The entry point is a pure function of the text.

import { createRequire } from 'node:module';
import Parser from 'rss-parser';
import { FetchError } from './fetch-error.js';
import { parseJsonFeed } from './json-feed.js';
import { withoutKnownItems, type IdentifiedItem } from './known-items.js';
import type { ItemIdentity } from './normalise.js';
import { canonicalFeedXml, canonicalOf, type CanonicalXml } from './xml-canonical.js';
import { repairXml } from './xml-repair.js';
import { replay, replayable } from './xml2js-tree.js';

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
  /** The feed's own xml:base, if any (relative to the feed's URL). */
  base?: string;
  language?: string;
  items: RawItem[];
  /** Items of `known` ids taken out before reading (known-items.ts), with their place among all items. */
  identified?: IdentifiedItem[];
}

export interface ParseOptions {
  /** Ids the poll knows (its last read's): such RSS items and Atom entries are only identified, not read. */
  known?: ReadonlySet<string>;
  /** The feed's item identity; with `link` every item is read (its id is not its guid). */
  identity?: ItemIdentity;
}

type Attrs = Record<string, string | undefined>;
type XmlValue = string | { _?: string; $?: Attrs };
interface XmlLink {
  _?: string;
  $?: Attrs;
}
/** An xml2js element: attributes, text, and child elements by name (always arrays). */
type XmlNode = { $?: Attrs; _?: string } & { [child: string]: unknown };

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
  'rdf:about'?: string;
  attrs?: Attrs;
  links?: (XmlLink | string)[];
  publishedRaw?: XmlValue;
  updatedRaw?: XmlValue;
  atomCategories?: XmlValue[];
  subjects?: XmlValue[];
  contentAttrs?: XmlValue;
}
type RssItem = Parser.Item & ItemFields;

/** Fallback elements read as they are (arrays of xml2js values), by their canonical names. */
const EXTRA_FIELDS = [
  'media:title', 'media:description', 'media:group', 'media:category', 'dc:description', 'dc:author', 'itunes:author',
  'itunes:summary', 'itunes:category', 'xhtml:body', 'body', 'fullitem', 'issued', 'created', 'modified',
  'dcterms:issued', 'dcterms:created', 'dcterms:modified',
] as const;

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
      ...EXTRA_FIELDS.map((name) => [name, name, { keepArray: true }]),
    ],
  },
} as Parser.ParserOptions<FeedFields, RssItem>;

/**
 * rss-parser gives every item a plain-text `contentSnippet` (and `content:encodedSnippet`) of its
 * HTML, by regular expressions and entity decoding: 14 % of what parsing a feed allocated, for
 * text Newswatch never reads (normalise.ts makes its own). The module it calls is made to skip
 * it; the snippets stay, empty.
 */
const rssParserUtils = createRequire(import.meta.url)('rss-parser/lib/utils.js') as { getSnippet(html: string): string };
rssParserUtils.getSnippet = () => '';

type Xml2jsCallback = (err: unknown, result?: unknown) => void;

/**
 * A new parser per feed: an xml2js parser that failed once may never call back on its next
 * document, which would hang the poll. Creating one is cheap. rss-parser reads the tree xml2js
 * would make of the canonical XML, built from the canonical pass's events (xml2js-tree.ts)
 * rather than by parsing the XML text a second time, where the events allow it (`replayed`).
 */
function createParser(canonical: CanonicalXml, replayed: boolean): Parser<FeedFields, RssItem> {
  const parser = new Parser<FeedFields, RssItem>(PARSER_OPTIONS);
  if (replayed) {
    // As xml2js: a failure while building the tree is the callback's error; one in rss-parser's
    // callback is thrown to its caller.
    (parser as unknown as { xmlParser: { parseString(xml: string, cb: Xml2jsCallback): void } }).xmlParser = {
      parseString(_xml, cb) {
        let tree: unknown;
        try {
          tree = replay(canonical.events);
        } catch (err) {
          cb(err);
          return;
        }
        cb(null, tree);
      },
    };
  }
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

/**
 * The feed's text may come as pieces in order (charset.ts decodePieces), so that a large feed is
 * never one large string: it is joined only for JSON, for a repair or to explain a failure.
 */
export async function parseFeed(text: string | readonly string[], source: string, options: ParseOptions = {}): Promise<ParsedFeed> {
  const trimmed = trimStart(typeof text === 'string' ? [text] : text);
  const head = trimmed[0] ?? '';
  if (head.startsWith('{')) return parseJsonFeed(trimmed.join(''), source);
  // Only the first piece can be short (trimmed): two hold the first 20 characters.
  if (!head.startsWith('<')) throw new FetchError('not-a-feed', `${source}: not XML or JSON (starts with ${JSON.stringify(trimmed.slice(0, 2).join('').slice(0, 20))})`);
  let canonical: CanonicalXml;
  try {
    canonical = canonicalFeedXml(trimmed);
  } catch (strictError) {
    const whole = trimmed.join('');
    try {
      canonical = canonicalFeedXml(repairXml(whole));
    } catch {
      throw new FetchError('not-a-feed', `${source}: not a readable RSS/Atom feed: ${explain(located(trimmed, strictError), whole)}`);
    }
  }
  let feed: Parser.Output<RssItem> & FeedFields;
  let identified: IdentifiedItem[] | undefined;
  try {
    // A replayed tree needs no XML text, and writing it costs more than the replay.
    const replayed = replayable(canonical.events);
    if (replayed && options.known && options.identity !== 'link') {
      const without = withoutKnownItems(canonical.events, options.known);
      if (without) {
        canonical = canonicalOf(canonical.root, without.events);
        identified = without.identified;
      }
    }
    feed = await createParser(canonical, replayed).parseString(replayed ? '' : canonical.xml);
  } catch (err) {
    throw new FetchError('not-a-feed', `${source}: not a readable RSS/Atom feed: ${explain(err, canonical.xml)}`);
  }
  const feedBase = feed.attrs?.['xml:base'];
  const atom = canonical.root === 'atom';
  // A loop, not map with a closure made per feed: optimized, that closure held rawItem inlined
  // and was compiled anew whenever a full collection had taken the last one (see xml-canonical.ts).
  const items: RawItem[] = [];
  for (const item of feed.items ?? []) items.push(rawItem(item, feedBase, atom));
  return {
    title: text_(feed.title),
    link: feed.link,
    base: feedBase,
    language: feed.language ?? feed.dcLanguage ?? feed.attrs?.['xml:lang'],
    items,
    ...(identified ? { identified } : {}),
  };
}

/** The error of reading the XML again with sax counting lines and columns, so that it says where. */
function located(text: readonly string[], unlocated: unknown): unknown {
  try {
    canonicalFeedXml(text, { position: true });
  } catch (err) {
    return err;
  }
  return unlocated;
}

/** The pieces of a text without the white space (byte order marks included) it starts with. */
function trimStart(pieces: readonly string[]): string[] {
  const rest = [...pieces];
  while (rest.length > 0 && (rest[0] = rest[0]!.trimStart()) === '') rest.shift();
  return rest;
}

/** rss-parser's own errors are clear; a TypeError from inside it means a structure it cannot walk. */
function explain(err: unknown, text: string): string {
  if (!(err instanceof TypeError)) return (err as Error).message.split('\n').slice(0, 3).join(' ') || String(err);
  const root = /<(?!\?|!)([\w:]+)/.exec(text)?.[1] ?? 'unknown';
  if (/^rss$/i.test(root) && !/<channel[\s>]/i.test(text)) return 'an <rss> document without a <channel>';
  return `the <${root}> document is not laid out as RSS or Atom (${err.message})`;
}

function rawItem(item: RssItem, feedBase: string | undefined, atom: boolean): RawItem {
  const extra = extraFields(item);
  const group = extra['media:group']?.[0] as XmlNode | undefined;
  const media = (name: 'media:title' | 'media:description') => text_(extra[name]?.[0]) ?? text_(childOf(group, name));
  const link = pickLink(item);
  const contentBase = typeof item.contentAttrs === 'object' ? item.contentAttrs.$?.['xml:base'] : undefined;
  const bases = [feedBase, item.attrs?.['xml:base'], link?.base ?? contentBase].filter((b): b is string => Boolean(b));
  // rss-parser puts an RSS <description> in `content` and Atom's <content> there too.
  const description = atom ? undefined : text_(item.content);
  const body = text_(item['content:encoded']) ?? text_(extra['xhtml:body']?.[0]) ?? text_(extra.body?.[0]) ?? text_(extra.fullitem?.[0]);
  return {
    guid: text_(item.guid ?? item.id) ?? (atom ? undefined : text_(item['rdf:about'])),
    link: link?.href,
    title: text_(item.title) ?? media('media:title'),
    summary:
      (atom ? text_(item.summary) : (description ?? text_(item.summary))) ??
      text_(extra['dc:description']?.[0]) ??
      media('media:description') ??
      text_(extra['itunes:summary']?.[0]),
    contentHtml: body ?? text_(item.content),
    author: text_(item.creator ?? item.author) ?? text_(extra['dc:author']?.[0]) ?? text_(extra['itunes:author']?.[0]),
    categories: categories(item, group),
    published: published(item),
    language: item.language ?? item.attrs?.['xml:lang'],
    bases: bases.length ? bases : undefined,
  };
}

/** The EXTRA_FIELDS of an item, each an array of xml2js values when present. */
const extraFields = (item: RssItem) => item as unknown as Partial<Record<(typeof EXTRA_FIELDS)[number], unknown[]>>;

/**
 * As written, the first of: Atom published, issued (Atom 0.3, dcterms), RSS pubDate, dc:date,
 * created, then the last-modified dates. rss-parser has already rewritten Atom's pubDate from
 * published/updated, so Atom's raw values come first.
 */
function published(item: RssItem): string | undefined {
  const extra = extraFields(item);
  const candidates: unknown[] = [
    item.publishedRaw, extra.issued?.[0], extra['dcterms:issued']?.[0], item.pubDate, item.date,
    extra.created?.[0], extra['dcterms:created']?.[0], item.updatedRaw, extra.modified?.[0], extra['dcterms:modified']?.[0],
  ];
  for (const candidate of candidates) {
    const value = text_(candidate);
    if (value) return value;
  }
  return undefined;
}

/** The alternate link (Atom) or the link (RSS), with the xml:base on the link element itself. */
function pickLink(item: RssItem): { href: string; base?: string } | undefined {
  // Some Atom feeds write the URL as the link's text instead of an href.
  const links = (item.links ?? []).map((l): { $: Attrs } => (typeof l === 'string' ? { $: { href: l } } : { $: { ...l.$, href: l.$?.href ?? l._ } }));
  const atom = links.filter((l) => l.$.href !== undefined && l.$.href.trim() !== '');
  const chosen = atom.find((l) => (l.$.rel ?? 'alternate') === 'alternate') ?? atom.find((l) => l.$.rel !== 'enclosure') ?? atom[0];
  if (chosen?.$.href) return { href: chosen.$.href.trim(), base: chosen.$['xml:base'] };
  const href = text_(item.link);
  return href ? { href } : undefined;
}

function categories(item: RssItem, group: XmlNode | undefined): string[] | undefined {
  const extra = extraFields(item);
  const raw: unknown[] = [
    ...(item.categories ?? []), ...(item.atomCategories ?? []), ...(item.subjects ?? []),
    ...(extra['media:category'] ?? []), ...asArray(childOf(group, 'media:category')), ...(extra['itunes:category'] ?? []).flatMap(itunesCategory),
  ];
  // An Atom category's term is its identity, its label the readable name: both are kept.
  const names = raw.flatMap((c) => (typeof c === 'string' ? [c] : [text_(c as XmlValue), (c as { $?: Attrs }).$?.label, (c as { $?: Attrs }).$?.term]));
  const unique = [...new Set(names.map((n) => n?.trim()).filter((n): n is string => Boolean(n)))];
  return unique.length ? unique : undefined;
}

/** iTunes categories are attributes, possibly nested: the innermost one is the most specific. */
function itunesCategory(value: unknown): string[] {
  const node = value as XmlNode;
  const nested = asArray(node?.['itunes:category']).flatMap(itunesCategory);
  const own = node?.$?.text;
  return [...(own ? [own] : []), ...nested];
}

function childOf(node: XmlNode | undefined, name: string): unknown {
  const value = node?.[name];
  return Array.isArray(value) ? value[0] : undefined;
}

const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** Text of an xml2js value: a string, or the text of an element that also had attributes. */
function text_(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() || undefined;
  if (value && typeof value === 'object' && typeof (value as { _?: unknown })._ === 'string') return ((value as { _: string })._).trim() || undefined;
  return undefined;
}
