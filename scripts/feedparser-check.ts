// Holds what Newswatch makes of a feedparser test file against that file's `Expect:` answer, on
// the fields Newswatch exposes. Each conjunct of the expression is one assertion: checked
// (passed or failed) when it is about a field Newswatch has, skipped with a reason otherwise.
// Translation, field by field (docs/feeds.md lists it for users):
//   feed title, entry title, summary/description, content[0].value → our text of that field:
//     feedparser's value is HTML unless the element is Atom plain text, so the expected value is
//     read as Newswatch reads HTML (htmlToText); links (href/src) in an expected HTML value must
//     also be in our content HTML, absolute (compared as parsed URLs).
//   entry link → our url (the expected value canonicalised as ours is: tracking parameters and
//     fragment removed); feed link, language → as read; entry id / guid → our id;
//   author, author_detail.name → our author (the name without an e-mail address);
//   tags[i].term, category → one of our categories; published/updated/created_parsed → our published
//     time, to the second (updated only when the entry has no published date of its own);
//   len(entries) → our item count; encoding → our decoded text equals a decoding with it.
// Skipped: bozo (we repair or refuse, we do not flag), *_detail types and bases, feed-level
// fields we do not read (tagline, copyright, image, cloud …), links[] beyond the one link we
// keep, enclosures, Media RSS and iTunes details, geo, PSC, contributors, source, version.

import * as cheerio from 'cheerio';
import iconv from 'iconv-lite';
import type { Article } from '../src/feeds/article.js';
import { authorName, canonicalUrl, htmlToText } from '../src/feeds/normalise.js';
import { languageCode } from '../src/feeds/language.js';
import { conjuncts, type Node, type PyValue } from './feedparser-expect.js';

export interface Observed {
  /** The file's bytes and what the test says its server sent. */
  bytes: Buffer;
  contentType?: string;
  /** Our decoded text; undefined when decoding threw. */
  text?: string;
  feed?: { title?: string; link?: string; language?: string };
  articles?: Article[];
  /** Set when the feed was refused (or crashed): every checked field then fails. */
  error?: string;
}

export type Verdict = { status: 'pass' } | { status: 'fail'; detail: string } | { status: 'skip'; reason: string };

type Key = string | number;
type Field = 'feedTitle' | 'feedLink' | 'feedLanguage' | 'title' | 'link' | 'id' | 'summary' | 'content' | 'author' | 'category' | 'date' | 'language';

interface Target {
  field: Field;
  entry?: number;
  index?: number;
  /** For dates: which feedparser date it was. */
  dateKind?: string;
}

const ENTRY_FIELDS: Record<string, Field> = {
  title: 'title',
  link: 'link',
  id: 'id',
  guid: 'id',
  summary: 'summary',
  description: 'summary',
  author: 'author',
  language: 'language',
  category: 'category',
};
const DETAIL_VALUE: Record<string, Field> = { title_detail: 'title', summary_detail: 'summary', author_detail: 'author' };
const DATES = new Set(['published_parsed', 'updated_parsed', 'created_parsed', 'issued_parsed', 'modified_parsed', 'date_parsed']);
const FEED_FIELDS: Record<string, Field> = { title: 'feedTitle', link: 'feedLink', language: 'feedLanguage' };

/** Verdicts of every conjunct of an Expect expression. */
export function checkExpectation(expression: Node, observed: Observed, fileText: string): Verdict[] {
  return conjuncts(expression).map((node) => checkOne(node, observed, fileText));
}

function checkOne(node: Node, observed: Observed, fileText: string): Verdict {
  if (node.kind === 'name' && node.name === 'bozo') return skip('bozo: Newswatch repairs or refuses ill-formed feeds, it does not flag them');
  if (node.kind === 'not' && node.operand.kind === 'name' && node.operand.name === 'bozo') return skip('bozo: Newswatch repairs or refuses ill-formed feeds, it does not flag them');
  if (node.kind === 'literal') return skip('constant expectation');
  if (node.kind !== 'compare') return skip(`expression form not translated (${node.kind})`);
  if (!node.ops.every((op) => op === '==' || op === 'is')) return skip(`operator not translated (${node.ops.join(', ')})`);
  const literal = node.operands.find((o) => !pathOf(o) && !calledPath(o));
  if (!literal) return skip('comparison of two fields');
  const expected = valueOf(literal);
  if (expected === undefined) return skip('expected value not translated');
  const verdicts = node.operands.filter((o) => o !== literal).map((o) => checkOperand(o, expected, observed, fileText));
  return verdicts.find((v) => v.status === 'fail') ?? verdicts.find((v) => v.status === 'pass') ?? (verdicts[0] as Verdict);
}

function checkOperand(operand: Node, expected: Expected, observed: Observed, fileText: string): Verdict {
  const call = calledPath(operand);
  if (call?.fn === 'len') {
    if (call.path.length !== 1 || call.path[0] !== 'entries') return skip(`len() of ${call.path.join('.')}`);
    if (typeof expected !== 'number') return skip('len() compared with a non-number');
    if (observed.error) return fail(`refused: ${observed.error}`);
    return verdict(String(observed.articles?.length ?? 0), String(expected), 'number of items');
  }
  if (call?.fn === 'ord') {
    if (typeof expected !== 'number') return skip('ord() compared with a non-number');
    return checkPath(call.path, String.fromCodePoint(expected), observed, fileText);
  }
  if (call) return skip(`call of ${call.fn}() not translated`);
  return checkPath(pathOf(operand) as Key[], expected, observed, fileText);
}

function checkPath(path: Key[], expected: Expected, observed: Observed, fileText: string): Verdict {
  if (path[0] === 'encoding' && path.length === 1) return checkEncoding(expected, observed);
  const target = targetOf(path);
  if (!target) return skip(`not a field Newswatch exposes: ${path.slice(0, 3).map((k) => (typeof k === 'number' ? 'i' : k)).join('.')}`);
  if (target.field === 'date' && !Array.isArray(expected)) return skip('date compared with a non-tuple');
  if (observed.error) return fail(`refused: ${observed.error}`);
  if (expected === null && target.field !== 'date') return checkAbsent(target, observed);
  if (target.field.startsWith('feed')) return checkFeedField(target.field, expected, observed, fileText);
  const article = observed.articles?.[target.entry ?? 0];
  if (!article) return fail(`no item ${target.entry ?? 0} (got ${observed.articles?.length ?? 0})`);
  switch (target.field) {
    case 'title':
      return checkText(article.title, expected, plainTextIn(fileText, 'entry', ['title']), undefined, 'title');
    case 'summary':
      return checkText(article.summary, expected, plainTextIn(fileText, 'entry', ['summary', 'content']), article.summary === article.content ? article.contentHtml : undefined, 'summary');
    case 'content':
      return checkText(article.content, expected, plainTextIn(fileText, 'entry', ['content']), article.contentHtml, 'content');
    case 'link':
      return verdict(article.url, canonicalUrl(str(expected)) ?? str(expected), 'link');
    case 'id':
      return verdict(article.id, str(expected).trim(), 'id');
    case 'author':
      return verdict(article.author, authorOnly(str(expected)), 'author');
    case 'category':
      // Newswatch keeps each category's term and label; their order is no promise.
      return article.categories?.includes(str(expected).trim()) ? { status: 'pass' } : fail(`category: ${JSON.stringify(expected)} not in ${JSON.stringify(article.categories ?? [])}`);
    case 'language':
      return verdict(article.language, languageCode(str(expected)), 'language');
    case 'date':
      return checkDate(article, expected as number[], target.dateKind ?? '', fileText);
    default:
      return skip(`field ${target.field}`);
  }
}

/** `… == None`: the field must be missing. */
function checkAbsent(target: Target, observed: Observed): Verdict {
  const feed = observed.feed ?? {};
  const article = observed.articles?.[target.entry ?? 0];
  const values: Partial<Record<Field, unknown>> = {
    feedTitle: feed.title,
    feedLink: feed.link,
    feedLanguage: feed.language,
    ...(article && { id: article.id, title: article.title, link: article.url, summary: article.summary, content: article.content, author: article.author, language: article.language }),
    category: article?.categories?.[target.index ?? 0],
  };
  const value = values[target.field];
  return value === undefined || value === '' ? { status: 'pass' } : fail(`${target.field}: expected none, got ${JSON.stringify(value)}`);
}

function checkFeedField(field: Field, expected: Expected, observed: Observed, fileText: string): Verdict {
  const feed = observed.feed ?? {};
  if (field === 'feedTitle') return checkText(feed.title, expected, plainTextIn(fileText, 'feed', ['title']), undefined, 'feed title');
  if (field === 'feedLanguage') return verdict(languageCode(feed.language), languageCode(str(expected)), 'feed language');
  return verdict(feed.link, str(expected), 'feed link');
}

/** Our text against feedparser's value reduced to text; its links must be in our HTML. */
function checkText(actual: string | undefined, expected: Expected, plain: boolean, ourHtml: string | undefined, what: string): Verdict {
  if (typeof expected !== 'string') return skip(`${what} compared with a non-string`);
  const want = plain ? fold(expected) : htmlText(expected);
  const got = fold(actual ?? '');
  if (got !== want) return fail(`${what}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  if (plain || ourHtml === undefined) return { status: 'pass' };
  const ours = new Set(linksOf(ourHtml));
  const missing = linksOf(expected).filter((l) => !ours.has(l));
  return missing.length ? fail(`${what}: links ${missing.join(' ')} not in our HTML (${[...ours].join(' ') || 'none'})`) : { status: 'pass' };
}

function checkDate(article: Article, tuple: number[], kind: string, fileText: string): Verdict {
  // We keep one time per item: the published date, else the updated one.
  if (kind !== 'published_parsed' && /<(?:\w+:)?(?:published|pubDate|issued|date)[\s>]/.test(entryPart(fileText))) return skip(`${kind} of an item that also has a published date (we keep one time)`);
  const [y, mo, d, h, mi, s] = tuple as [number, number, number, number, number, number];
  const want = new Date(Date.UTC(y, mo - 1, d, h, mi, s)).toISOString();
  return verdict(article.published?.replace(/\.\d+Z$/, '.000Z'), want, kind);
}

function checkEncoding(expected: Expected, observed: Observed): Verdict {
  const name = str(expected);
  if (!iconv.encodingExists(name)) return skip(`encoding ${name} unknown to iconv-lite`);
  if (observed.text === undefined) return fail('not decoded');
  const reference = iconv.decode(observed.bytes, name).replace(/^\uFEFF/, '');
  return observed.text === reference ? { status: 'pass' } : fail(`decoded text differs from a ${name} decoding`);
}

type Expected = PyValue | Expected[];

function valueOf(node: Node): Expected | undefined {
  if (node.kind === 'literal') return node.value;
  if (node.kind === 'neg') {
    const v = valueOf(node.operand);
    return typeof v === 'number' ? -v : undefined;
  }
  if (node.kind === 'add') {
    const [l, r] = [valueOf(node.left), valueOf(node.right)];
    return typeof l === 'string' && typeof r === 'string' ? l + r : undefined;
  }
  if (node.kind === 'tuple' || node.kind === 'list') {
    const items = node.items.map(valueOf);
    return items.every((i) => i !== undefined) ? (items as Expected[]) : undefined;
  }
  return undefined;
}

/** `entries[0]['title']`, `entries[0].title`, `feed.get('title')` → ['entries', 0, 'title']. */
function pathOf(node: Node): Key[] | undefined {
  if (node.kind === 'name') return [node.name];
  if (node.kind === 'attr') return append(pathOf(node.target), node.name);
  if (node.kind === 'index') {
    const key = node.index.kind === 'literal' && (typeof node.index.value === 'string' || typeof node.index.value === 'number') ? node.index.value : undefined;
    return key === undefined ? undefined : append(pathOf(node.target), key);
  }
  if (node.kind === 'call' && node.target.kind === 'attr' && node.target.name === 'get' && node.args.length >= 1) {
    const arg = node.args[0] as Node;
    return arg.kind === 'literal' && typeof arg.value === 'string' ? append(pathOf(node.target.target), arg.value) : undefined;
  }
  return undefined;
}

function calledPath(node: Node): { fn: string; path: Key[] } | undefined {
  if (node.kind !== 'call' || node.target.kind !== 'name' || node.args.length !== 1) return undefined;
  const path = pathOf(node.args[0] as Node);
  return path ? { fn: node.target.name, path } : undefined;
}

const append = (path: Key[] | undefined, key: Key) => (path ? [...path, key] : undefined);

function targetOf(path: Key[]): Target | undefined {
  const [root, ...rest] = path;
  if (root === 'feed') {
    const [name, sub] = rest;
    if (typeof name !== 'string') return undefined;
    if (rest.length === 1 && name in FEED_FIELDS) return { field: FEED_FIELDS[name] as Field };
    if (rest.length === 2 && name === 'title_detail' && sub === 'value') return { field: 'feedTitle' };
    return undefined;
  }
  if (root !== 'entries' || typeof rest[0] !== 'number') return undefined;
  const entry = rest[0];
  const [name, a, b] = rest.slice(1);
  const depth = rest.length - 1;
  if (typeof name !== 'string') return undefined;
  if (depth === 1 && name in ENTRY_FIELDS) return { field: ENTRY_FIELDS[name] as Field, entry };
  if (depth === 1 && DATES.has(name)) return { field: 'date', entry, dateKind: name };
  if (depth === 2 && name in DETAIL_VALUE && (a === 'value' || (name === 'author_detail' && a === 'name'))) return { field: DETAIL_VALUE[name] as Field, entry };
  if (depth === 3 && name === 'content' && a === 0 && b === 'value') return { field: 'content', entry };
  if (depth === 3 && name === 'tags' && typeof a === 'number' && b === 'term') return { field: 'category', entry, index: a };
  return undefined;
}

/**
 * Whether feedparser's value for this element is plain text rather than HTML: Atom text
 * constructs are text unless `type` says html/xhtml (or Atom 0.3's mode says escaped) or they
 * hold inline markup. Found in the file itself (the first such element in the feed head or the
 * first entry).
 */
function plainTextIn(fileText: string, scope: 'feed' | 'entry', names: string[]): boolean {
  if (!/<(?:\w+:)?feed[\s>]/.test(fileText)) return false;
  const part = scope === 'entry' ? entryPart(fileText) : fileText.slice(0, Math.max(0, fileText.search(/<(?:\w+:)?entry[\s>]/)) || fileText.length);
  for (const name of names) {
    const tag = new RegExp(`<(?:\\w+:)?${name}(\\s[^>]*)?>([\\s\\S]*?)</(?:\\w+:)?${name}>`).exec(part);
    if (!tag) continue;
    const attrs = tag[1] ?? '';
    // Markup inside the element (not escaped) makes it HTML whatever the type says.
    if (/<[A-Za-z]/.test((tag[2] ?? '').replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, ''))) return false;
    const type = /\btype\s*=\s*["']([^"']*)["']/.exec(attrs)?.[1]?.trim().toLowerCase() || 'text';
    const mode = /\bmode\s*=\s*["']([^"']*)["']/.exec(attrs)?.[1]?.toLowerCase();
    if (mode === 'escaped') return false;
    return type === 'text' || type === 'text/plain';
  }
  return false;
}

function entryPart(fileText: string): string {
  const start = fileText.search(/<(?:\w+:)?(?:entry|item)[\s>]/);
  return start < 0 ? '' : fileText.slice(start);
}

/** feedparser's HTML as Newswatch reads HTML: blocks and line breaks apart, entities decoded. */
const htmlText = (html: string) => htmlToText(html) ?? '';

function linksOf(html: string): string[] {
  if (!/\s(?:href|src)\s*=/i.test(html)) return [];
  const $ = cheerio.load(html, null, false);
  return $('a[href], img[src]')
    .toArray()
    .map((el) => ($(el).attr('href') ?? $(el).attr('src') ?? '').trim())
    .filter((l) => /^https?:/i.test(l))
    .map((l) => URL.parse(l)?.href ?? l);
}

/** "Name (me@example.com)" and "me@example.com (Name)" → Name, as Newswatch shows authors. */
function authorOnly(value: string): string | undefined {
  const withoutMail = /^(.+?)\s*\(\S+@\S+\)$/.exec(value.trim())?.[1];
  return withoutMail ?? authorName(value);
}

const fold = (s: string) => s.replace(/\s+/g, ' ').trim();
const str = (v: Expected) => (typeof v === 'string' ? v : String(v));
const skip = (reason: string): Verdict => ({ status: 'skip', reason });
const fail = (detail: string): Verdict => ({ status: 'fail', detail });

function verdict(actual: string | undefined, expected: string | undefined, what: string): Verdict {
  return (actual ?? '') === (expected ?? '') ? { status: 'pass' } : fail(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}
