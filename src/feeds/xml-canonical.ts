// Feed XML rewritten into the one shape rss-parser reads well, in a single streaming pass with
// sax (the tokenizer rss-parser's xml2js uses, so what one accepts the other does), or with
// xml-simple.ts, which reads the common subset of XML with the same result, faster. Rules:
// - Namespaces are resolved, not guessed from prefixes: RSS 0.90/1.0/2.0 elements are written
//   without a prefix whatever prefix the feed gave them (`<rss:item>`, `<r:channel>`), Atom
//   elements likewise in an Atom document (`atom:` in RSS), and known modules get their usual
//   prefix (dc, dcterms, content, media, itunes, rdf, xhtml). Elements of other namespaces keep
//   the prefix they were written with, so `<x:description>` never passes for `<description>`.
//   A prefix nobody declared is kept as written (many feeds forget `xmlns:dc`).
// - Text constructs (titles, descriptions, summaries, content) become one HTML string each:
//   Atom `type="xhtml"` (and inline markup anywhere) is serialised in document order with the
//   wrapping XHTML <div> dropped; Atom `type="text"` (the default) and Media RSS `type="plain"`
//   are HTML-escaped, so "a &lt;b&gt; tag" stays text; Atom 0.3 `mode="base64"` (and Atom 1.0
//   non-text types) are decoded. The `type`/`mode` attributes are then dropped: downstream every
//   text construct is HTML. It is written as CDATA (cheaper for xml2js to read than escaped
//   markup), unless it is white space alone.
// - `xml:base` and `xml:lang` on the `<rss>` root are carried down to `<channel>`, where
//   parse.ts looks for them.
// - Comments, processing instructions and the DOCTYPE are dropped (no entity is ever expanded).
// Markup nested deeper than MAX_DEPTH inside a text construct keeps its text, not its tags.
// Not well-formed input throws (sax's message, with line and column); parse.ts repairs and retries.

import sax from 'sax';
import type { XmlEvent } from './xml2js-tree.js';
import { readSimpleXml } from './xml-simple.js';

export type FeedRoot = 'rss' | 'rdf' | 'atom' | 'other';

export interface CanonicalXml {
  /**
   * The canonical XML text, written from `events` when first read: parse.ts needs it only when
   * the events cannot be replayed or to explain an error, and joining it cost more than replay.
   */
  readonly xml: string;
  root: FeedRoot;
  /** The elements and text of `xml` as sax reads them back, for xml2js-tree.ts. */
  events: XmlEvent[];
}

const RSS_NAMESPACES = new Set([
  'http://purl.org/rss/1.0/',
  'http://my.netscape.com/rdf/simple/0.9/',
  'http://backend.userland.com/rss2',
  'http://backend.userland.com/rss',
  'http://blogs.law.harvard.edu/tech/rss',
]);
const ATOM_NAMESPACES = new Set(['http://www.w3.org/2005/Atom', 'http://purl.org/atom/ns#']);
const XHTML = 'http://www.w3.org/1999/xhtml';
const MODULE_PREFIXES: Record<string, string> = {
  'http://purl.org/dc/elements/1.1/': 'dc',
  'http://purl.org/dc/elements/1.0/': 'dc',
  'http://purl.org/dc/terms/': 'dcterms',
  'http://purl.org/rss/1.0/modules/content/': 'content',
  'http://search.yahoo.com/mrss/': 'media',
  'http://search.yahoo.com/mrss': 'media',
  'http://tools.search.yahoo.com/mrss/': 'media',
  'http://www.itunes.com/dtds/podcast-1.0.dtd': 'itunes',
  'http://www.w3.org/1999/02/22-rdf-syntax-ns#': 'rdf',
  [XHTML]: 'xhtml',
};

/** Atom's text constructs (1.0 and 0.3 names); `type` and `mode` say how to read them. */
const ATOM_TEXT = new Set(['title', 'subtitle', 'summary', 'content', 'rights', 'tagline', 'info', 'copyright']);
/** Elements of RSS and modules whose value is HTML (or text Newswatch treats as HTML). */
const HTML_TEXT = new Set([
  'title', 'description', 'body', 'fullitem', 'content:encoded', 'xhtml:body', 'xhtml:div', 'dc:title', 'dc:description',
  'itunes:summary', 'itunes:subtitle', 'media:text', 'atom:title', 'atom:summary', 'atom:content',
]);
/** Media RSS text elements: `type="plain"` (the default) or `type="html"`. */
const MEDIA_TEXT = new Set(['media:title', 'media:description']);
const VOID_ELEMENTS = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr']);
/** Browsers stop nesting at about this depth; deeper markup only costs parse time downstream. */
const MAX_DEPTH = 512;

type Kind = 'html' | 'text' | 'xhtml' | 'base64';

interface Frame {
  name: string;
  namespaces: ReadonlyMap<string, string>;
}

interface Capture {
  /** Depth of the text-construct element in the stack. */
  depth: number;
  kind: Kind;
  /** For base64: how to read what it decodes to. */
  decodedKind?: 'html' | 'text';
  name: string;
  attrs: Record<string, string>;
  parts: string[];
  /** Whether any element was met inside, and where the first top-level one starts and ends. */
  sawElement: boolean;
  topElements: number;
  topText: boolean;
  wrapper?: { start: number; end?: number; isXhtmlDiv: boolean };
  /** Names of the elements open inside, to close them; undefined for void or too-deep ones. */
  open: (string | undefined)[];
}

const NO_NAMESPACES: ReadonlyMap<string, string> = new Map();

/**
 * `text`: the XML, or its pieces in order (read as one text). `position`: sax counts lines and
 * columns for its errors, which costs about 7 % of parsing a feed; a caller asks for it only to
 * explain a failure.
 */
export function canonicalFeedXml(text: string | readonly string[], { position = false } = {}): CanonicalXml {
  const pieces = typeof text === 'string' ? [text] : text;
  let pass = new CanonicalPass();
  // The fast reader takes what it can read exactly as sax would; sax reads the rest, and every
  // document asked for with positions (only to explain an error).
  if (position || !readSimpleXml(pieces, pass)) {
    pass = new CanonicalPass();
    const parser = sax.parser(true, { xmlns: false, position }) as Driven;
    parser.pass = pass;
    parser.onerror = onError;
    parser.onopentag = onOpenTag;
    parser.onclosetag = onCloseTag;
    parser.ontext = onText;
    parser.oncdata = onText;
    writeAll(parser, pieces);
  }
  return canonicalOf(pass.root ?? 'other', pass.events);
}

/** The canonical form of these events, its text written when first read (not by a spread: use this). */
export function canonicalOf(root: FeedRoot, events: XmlEvent[]): CanonicalXml {
  let xml: string | undefined;
  return {
    get xml() {
      return (xml ??= xmlText(events));
    },
    root,
    events,
  };
}

/**
 * sax's handlers are these shared functions, which reach the feed's pass through the parser
 * (sax calls a handler as a method of the parser). Made as closures for each feed, they were
 * compiled anew after every full collection that took the last closure holding their optimized
 * code: 20 compilations of 13-23 ms each in ten warm rounds of the benchmark.
 */
type Driven = sax.SAXParser & { pass: CanonicalPass };

function onOpenTag(this: Driven, tag: sax.Tag | sax.QualifiedTag): void {
  this.pass.openTag(tag as sax.Tag);
}

function onCloseTag(this: Driven): void {
  this.pass.closeTag();
}

function onText(this: Driven, value: string): void {
  this.pass.text(value);
}

function onError(err: Error): never {
  throw err;
}

/** One feed's pass: the events so far, the open elements and the text construct being read. */
class CanonicalPass {
  readonly events: XmlEvent[] = [];
  root: FeedRoot | undefined;
  private readonly stack: Frame[] = [];
  private rootAttrs: Record<string, string> = {};
  private capture: Capture | undefined;

  private resolve(qname: string, namespaces: ReadonlyMap<string, string>, isAttribute: boolean): { name: string; local: string; uri: string | undefined } {
    const colon = qname.indexOf(':');
    const prefix = colon > 0 ? qname.slice(0, colon) : '';
    const local = colon > 0 ? qname.slice(colon + 1) : qname;
    if (prefix === 'xml' || (isAttribute && !prefix)) return { name: qname, local, uri: undefined };
    const uri = namespaces.get(prefix);
    if (uri === undefined) return { name: qname, local, uri };
    if (RSS_NAMESPACES.has(uri)) return { name: local, local, uri };
    if (ATOM_NAMESPACES.has(uri)) return { name: this.root === 'atom' || this.root === undefined ? local : `atom:${local}`, local, uri };
    const known = MODULE_PREFIXES[uri];
    if (known) return { name: `${known}:${local}`, local, uri };
    return { name: prefix ? qname : local, local, uri };
  }

  openTag(tag: sax.Tag): void {
    const { attributes } = tag;
    const stack = this.stack;
    const parent = stack[stack.length - 1];
    // An element that declares no namespace shares its parent's map (never changed once made).
    let declared: Map<string, string> | undefined;
    for (const key in attributes) {
      if (key !== 'xmlns' && !key.startsWith('xmlns:')) continue;
      declared ??= new Map(parent?.namespaces);
      declared.set(key === 'xmlns' ? '' : key.slice(6), attributes[key]!);
    }
    const namespaces = declared ?? parent?.namespaces ?? NO_NAMESPACES;
    const element = this.resolve(tag.name, namespaces, false);
    if (!this.root) this.root = rootOf(element.name, element.uri);
    stack.push({ name: element.name, namespaces });

    if (this.capture) {
      captureOpen(this.capture, stack.length, element, attributes, namespaces);
      return;
    }
    const attrs: Record<string, string> = {};
    for (const [key, value] of Object.entries(attributes)) {
      // Declarations stay as written (rss-parser looks for xmlns:itunes; an empty <feed
      // xmlns="…"> must not become an empty string to xml2js).
      attrs[key === 'xmlns' || key.startsWith('xmlns:') ? key : this.resolve(key, namespaces, true).name] = value;
    }
    if (stack.length === 1) this.rootAttrs = attrs;
    if (element.name === 'channel' && stack.length === 2 && this.root === 'rss') inheritFromRoot(attrs, this.rootAttrs);
    const kind = textKind(element.name, element.uri, attrs, this.root === 'atom');
    if (!kind) {
      this.events.push({ open: element.name, attrs });
      return;
    }
    delete attrs.type;
    delete attrs.mode;
    this.capture = {
      depth: stack.length,
      kind: kind.kind,
      decodedKind: kind.decoded,
      name: element.name,
      attrs,
      parts: [],
      sawElement: false,
      topElements: 0,
      topText: false,
      open: [],
    };
  }

  closeTag(): void {
    const frame = this.stack.pop();
    if (!frame) return;
    const capture = this.capture;
    const depth = this.stack.length + 1;
    if (capture && depth > capture.depth) {
      captureClose(capture, depth);
      return;
    }
    if (capture && depth === capture.depth) {
      const html = finishCapture(capture);
      this.events.push({ open: capture.name, attrs: capture.attrs });
      if (html) this.events.push({ text: html, construct: true });
      this.events.push({ close: true });
      this.capture = undefined;
      return;
    }
    this.events.push({ close: true });
  }

  text(value: string): void {
    const capture = this.capture;
    if (!capture) {
      if (this.stack.length && value) {
        this.events.push({ text: value });
      }
      return;
    }
    if (this.stack.length === capture.depth && /\S/.test(value)) capture.topText = true;
    // HTML constructs hold HTML source; in the others text is text once markup is involved.
    const escape = capture.kind !== 'html' && (capture.kind === 'xhtml' || capture.sawElement);
    capture.parts.push(escape ? escapeHtml(value) : value);
  }
}

/** The XML text of the events: a text construct as a CDATA section (textSection), other text escaped. */
function xmlText(events: readonly XmlEvent[]): string {
  const out: string[] = [];
  const open: string[] = [];
  for (const event of events) {
    if ('open' in event) {
      out.push(`<${event.open}${attributeText(event.attrs)}>`);
      open.push(event.open);
    } else if ('text' in event) {
      out.push(event.construct ? textSection(event.text) : escapeXml(event.text));
    } else {
      out.push(`</${open.pop()}>`);
    }
  }
  return out.join('');
}

/**
 * The pieces written to sax as one text. sax checks the length of what it buffers after each
 * write (it hands on a long text early and refuses a long name); written at once, the text was
 * checked once, at its end, so the check is held back until the last piece.
 */
function writeAll(parser: sax.SAXParser, pieces: readonly string[]): void {
  const buffers = parser as unknown as { bufferCheckPosition: number };
  const checkAt = buffers.bufferCheckPosition;
  pieces.forEach((piece, i) => {
    buffers.bufferCheckPosition = i === pieces.length - 1 ? checkAt : Infinity;
    parser.write(piece);
  });
  parser.close();
}

function rootOf(name: string, uri: string | undefined): FeedRoot {
  if (name === 'rss') return 'rss';
  if (name === 'rdf:RDF') return 'rdf';
  if (name === 'feed' && (uri === undefined || ATOM_NAMESPACES.has(uri) || !name.includes(':'))) return 'atom';
  return 'other';
}

function inheritFromRoot(attrs: Record<string, string>, rootAttrs: Record<string, string>): void {
  for (const key of ['xml:lang', 'xml:base']) {
    const fromRoot = rootAttrs[key];
    if (fromRoot === undefined) continue;
    const own = attrs[key];
    if (own === undefined) attrs[key] = fromRoot;
    else if (key === 'xml:base') attrs[key] = joinBase(fromRoot, own);
  }
}

function joinBase(outer: string, inner: string): string {
  try {
    return new URL(inner, outer).toString();
  } catch {
    return inner;
  }
}

/** How a text construct is to be read, or undefined when the element is structure. */
function textKind(name: string, uri: string | undefined, attrs: Record<string, string>, atomDocument: boolean): { kind: Kind; decoded?: 'html' | 'text' } | undefined {
  const isAtom = (uri !== undefined && ATOM_NAMESPACES.has(uri)) || (atomDocument && !name.includes(':'));
  const type = attrs.type?.trim().toLowerCase() || undefined;
  if (isAtom && ATOM_TEXT.has(name.replace(/^atom:/, ''))) {
    const mode = attrs.mode?.trim().toLowerCase();
    const html = type === 'html' || type === 'text/html' || type === 'escaped';
    const xml = type === 'xhtml' || (type !== undefined && /[/+]xml$/.test(type));
    const text = type === undefined || type === 'text' || type === 'text/plain';
    if (mode === 'base64' || (!html && !xml && !text && !type?.startsWith('text/'))) return { kind: 'base64', decoded: text ? 'text' : 'html' };
    if (mode === 'escaped' || html) return { kind: 'html' };
    if (mode === 'xml' || xml) return { kind: 'xhtml' };
    return { kind: 'text' };
  }
  if (MEDIA_TEXT.has(name)) return { kind: type === 'html' ? 'html' : 'text' };
  if (HTML_TEXT.has(name)) return { kind: 'html' };
  return undefined;
}

function captureOpen(capture: Capture, depth: number, element: { name: string; local: string; uri: string | undefined }, attributes: Record<string, string>, namespaces: ReadonlyMap<string, string>): void {
  if (!capture.sawElement) {
    // Inline markup in what was taken as text: text read so far is text, escape it as such. In an
    // HTML construct (typepad's <div> around escaped HTML) the text is HTML source and stays.
    if (capture.kind !== 'html') capture.parts = capture.parts.map(escapeHtml);
    capture.sawElement = true;
  }
  if (depth === capture.depth + 1) {
    capture.topElements++;
    if (capture.topElements === 1) capture.wrapper = { start: capture.parts.length, isXhtmlDiv: element.uri === XHTML && element.local === 'div' };
  }
  const name = element.uri === XHTML ? element.local : element.name;
  if (depth - capture.depth > MAX_DEPTH) {
    capture.open.push(undefined);
    return;
  }
  const attrs = Object.entries(attributes)
    .filter(([key]) => key !== 'xmlns' && !key.startsWith('xmlns:'))
    .map(([key, value]) => ` ${htmlAttributeName(key, namespaces)}="${escapeAttribute(value)}"`)
    .join('');
  capture.parts.push(`<${name}${attrs}>`);
  capture.open.push(VOID_ELEMENTS.has(name.toLowerCase()) ? undefined : name);
}

function captureClose(capture: Capture, depth: number): void {
  const name = capture.open.pop();
  if (name !== undefined) capture.parts.push(`</${name}>`);
  if (depth === capture.depth + 1 && capture.wrapper && capture.topElements === 1) capture.wrapper.end = capture.parts.length;
}

function htmlAttributeName(key: string, namespaces: ReadonlyMap<string, string>): string {
  const colon = key.indexOf(':');
  if (colon < 0) return key;
  return namespaces.get(key.slice(0, colon)) === XHTML ? key.slice(colon + 1) : key;
}

/** The captured construct as HTML. */
function finishCapture(capture: Capture): string {
  let parts = capture.parts;
  const wrapper = capture.wrapper;
  // Atom xhtml content sits in one XHTML <div> that is not part of it (RFC 4287, 3.1.1.3).
  if (wrapper?.isXhtmlDiv && wrapper.end !== undefined && capture.topElements === 1 && !capture.topText) {
    parts = parts.slice(wrapper.start + 1, wrapper.end - 1);
  }
  const joined = parts.join('');
  if (capture.sawElement) return joined;
  switch (capture.kind) {
    case 'text':
      return escapeHtml(joined);
    case 'base64': {
      const decoded = Buffer.from(joined.replace(/\s+/g, ''), 'base64').toString('utf8');
      return capture.decodedKind === 'text' ? escapeHtml(decoded) : decoded;
    }
    default:
      return joined;
  }
}

function attributeText(attrs: Record<string, string>): string {
  return Object.entries(attrs)
    .map(([key, value]) => ` ${key}="${escapeAttribute(value)}"`)
    .join('');
}

/**
 * A text construct's HTML as CDATA, which sax reads in one scan where escaped markup costs it an
 * entity per "<", ">" and "&"; white space alone stays text (xml2js keeps a CDATA of white space
 * as a value where it drops white-space text).
 */
const textSection = (s: string) => (/\S/.test(s) ? `<![CDATA[${s.replaceAll(']]>', ']]]]><![CDATA[>')}]]>` : escapeXml(s));

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeHtml = escapeXml;
const escapeAttribute = (s: string) => escapeXml(s).replace(/"/g, '&quot;');
