// Cleaning before and after the content is found. Before: scripts, styles and <noscript> go,
// <br><br> runs become paragraphs, <font> becomes <span>. After: forms, embeds (except known
// video hosts), share bars, navigation, asides, footers and "fishy" blocks (many links, few
// paragraphs, ...) go; relative URLs are made absolute and classes, styles and on* handlers
// are stripped, so the HTML is safe to show in an email. Rules follow Mozilla Readability.

import {
  appendChild,
  createElement,
  createText,
  elementChildren,
  elementsByTag,
  firstElementChild,
  hasChildren,
  isElement,
  isText,
  nextNode,
  detach,
  removeNode,
  replaceNode,
  setChildren,
  textContent,
  type AnyNode,
  type ChildNode,
  type Element,
  type ParentNode,
} from './dom.js';
import {
  DIV_TO_P_ELEMS,
  PATTERNS,
  PHRASING_ELEMS,
  charCount,
  classOf,
  classWeight,
  hasAncestorTag,
  idOf,
  innerText,
  linkDensity,
  textDensity,
} from './signals.js';

export interface CleanOptions {
  /** Weigh class names and ids (Readability's FLAG_WEIGHT_CLASSES). */
  weightClasses: boolean;
  /** Remove blocks that look like boilerplate (Readability's FLAG_CLEAN_CONDITIONALLY). */
  cleanConditionally: boolean;
}

const CHAR_THRESHOLD = 500;

const PRESENTATIONAL_ATTRIBUTES = [
  'align', 'background', 'bgcolor', 'border', 'cellpadding', 'cellspacing', 'frame', 'hspace', 'rules',
  'style', 'valign', 'vspace',
];
const SIZED_ELEMENTS = new Set(['table', 'th', 'td', 'hr', 'pre']);
const HEADINGS = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6']);
const TEXTISH = new Set(['span', 'li', 'td', ...DIV_TO_P_ELEMS]);
const EMBEDS = new Set(['object', 'embed', 'iframe']);
const IMAGE_EXTENSION = /\.(jpg|jpeg|png|webp)/i;

/** Whitespace text, or a <br>. */
export function isWhitespace(node: AnyNode): boolean {
  if (isText(node)) return node.data.trim().length === 0;
  return isElement(node) && node.name === 'br';
}

/** Text, inline elements, and links/ins/del that hold only inline content. */
export function isPhrasingContent(node: AnyNode): boolean {
  if (isText(node)) return true;
  if (!isElement(node)) return false;
  if (PHRASING_ELEMS.has(node.name)) return true;
  return (node.name === 'a' || node.name === 'del' || node.name === 'ins') && node.children.every(isPhrasingContent);
}

/** The next element, or non-whitespace text, from `node` on. */
function skipWhitespace(node: ChildNode | null): ChildNode | null {
  let next = node;
  while (next && !isElement(next) && PATTERNS.whitespace.test(textContent(next))) next = next.next;
  return next;
}

/** Exactly one element child, with tag `tag`, and no text beside it. */
export function hasSingleTagInside(el: ParentNode, tag: string): boolean {
  const children = elementChildren(el);
  if (children.length !== 1 || children[0]?.name !== tag) return false;
  return !el.children.some((n) => isText(n) && PATTERNS.hasContent.test(n.data));
}

/** Whether any descendant text has a non-whitespace character (textContent.trim() !== ''). */
function hasText(node: ParentNode): boolean {
  for (const child of node.children) {
    if (isText(child)) {
      if (!PATTERNS.whitespace.test(child.data)) return true;
    } else if (hasChildren(child) && hasText(child)) {
      return true;
    }
  }
  return false;
}

export function isElementWithoutContent(el: Element): boolean {
  if (hasText(el)) return false;
  const children = elementChildren(el);
  return children.length === 0 || children.length === elementsByTag(el, new Set(['br', 'hr'])).length;
}

export function hasChildBlockElement(el: ParentNode): boolean {
  return el.children.some(
    (node) => isElement(node) && (DIV_TO_P_ELEMS.has(node.name) || hasChildBlockElement(node)),
  );
}

export function removeAll(nodes: readonly ChildNode[], filter?: (node: Element) => boolean): void {
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i] as ChildNode;
    if (node.parent && (!filter || filter(node as Element))) removeNode(node);
  }
}

const isBr = (node: AnyNode | undefined): boolean => isElement(node) && node.name === 'br';

/**
 * Turns the first <br> of each run of two or more into a <p> holding the inline content
 * that follows it: `<div>a<br><br>b</div>` becomes `<div>a<p>b</p></div>`. Works one parent
 * at a time, rebuilding its child list in one pass (see setChildren).
 */
function replaceBrs(body: Element): void {
  const parents = new Set<ParentNode>();
  for (const br of elementsByTag(body, 'br')) if (br.parent) parents.add(br.parent);
  for (const parent of parents) replaceBrChains(parent);
}

function replaceBrChains(parent: ParentNode): void {
  const kids = parent.children;
  // Index of the next element or non-whitespace text at or after `i`.
  const skipWs = (i: number) => {
    while (i < kids.length && !isElement(kids[i]) && PATTERNS.whitespace.test(textContent(kids[i] as ChildNode))) i++;
    return i;
  };
  const startsChain = (i: number) => isBr(kids[i]) && isBr(kids[skipWs(i + 1)]);

  const children: ChildNode[] = [];
  const removed: ChildNode[] = [];
  let i = 0;
  while (i < kids.length) {
    if (!startsChain(i)) {
      children.push(kids[i] as ChildNode);
      i++;
      continue;
    }
    // Drop the <br>s after the first; the whitespace between them stays, inside the <p>.
    const content: ChildNode[] = [];
    let j = i + 1;
    for (let k = skipWs(j); isBr(kids[k]); k = skipWs(j)) {
      content.push(...kids.slice(j, k));
      removed.push(kids[k] as ChildNode);
      j = k + 1;
    }
    while (j < kids.length && !startsChain(j) && isPhrasingContent(kids[j] as ChildNode)) content.push(kids[j++] as ChildNode);
    while (content.length > 0 && isWhitespace(content[content.length - 1] as ChildNode)) removed.push(content.pop() as ChildNode);

    const p = createElement('p');
    setChildren(p, content);
    removed.push(kids[i] as ChildNode);
    children.push(p);
    i = j;
  }
  if (removed.length === 0) return;
  for (const node of removed) detach(node);
  setChildren(parent, children);
  if (isElement(parent) && parent.name === 'p') parent.name = 'div';
}

const CONSENT_BANNER = /cookie|consent|gdpr/i;

/**
 * Cookie and consent banners, in every pass: unlike other "unlikely" blocks, they are never
 * part of an article, and their short text would otherwise stand in for a missing article.
 */
function removeConsentBanners(root: ParentNode): void {
  for (const el of elementsByTag(root, new Set(['div', 'section', 'aside', 'dialog', 'form', 'p']))) {
    if (!el.parent) continue;
    const matchString = `${classOf(el)} ${idOf(el)}`;
    if (CONSENT_BANNER.test(matchString) && textContent(el).length < CHAR_THRESHOLD) removeNode(el);
  }
}

/** Scripts, styles, <noscript> and consent banners out; <br> runs into paragraphs; <font> into <span>. */
export function prepareDocument(root: ParentNode): void {
  removeAll(elementsByTag(root, new Set(['script', 'noscript', 'style', 'template'])));
  removeConsentBanners(root);
  const body = elementsByTag(root, 'body')[0];
  if (body) replaceBrs(body);
  for (const font of elementsByTag(root, 'font')) font.name = 'span';
}

function cleanStyles(el: Element): void {
  if (el.name === 'svg') return;
  for (const name of PRESENTATIONAL_ATTRIBUTES) delete el.attribs[name];
  if (SIZED_ELEMENTS.has(el.name)) {
    delete el.attribs.width;
    delete el.attribs.height;
  }
  // Event handlers would run if the cleaned HTML were ever shown in a browser.
  for (const name of Object.keys(el.attribs)) if (name.startsWith('on')) delete el.attribs[name];
  for (const child of elementChildren(el)) cleanStyles(child);
}

function rowAndColumnCount(table: Element): { rows: number; columns: number } {
  let rows = 0;
  let columns = 0;
  for (const tr of elementsByTag(table, 'tr')) {
    rows += parseInt(tr.attribs.rowspan ?? '', 10) || 1;
    let inRow = 0;
    for (const td of elementsByTag(tr, 'td')) inRow += parseInt(td.attribs.colspan ?? '', 10) || 1;
    columns = Math.max(columns, inRow);
  }
  return { rows, columns };
}

/** Data tables (as opposed to layout tables) are kept whole; same checks as Firefox's a11y code. */
function findDataTables(root: Element): Set<Element> {
  const dataTables = new Set<Element>();
  for (const table of elementsByTag(root, 'table')) {
    if (table.attribs.role === 'presentation' || table.attribs.datatable === '0') continue;
    if (table.attribs.summary) {
      dataTables.add(table);
      continue;
    }
    const caption = elementsByTag(table, 'caption')[0];
    if (caption && caption.children.length > 0) {
      dataTables.add(table);
      continue;
    }
    if (elementsByTag(table, new Set(['col', 'colgroup', 'tfoot', 'thead', 'th'])).length > 0) {
      dataTables.add(table);
      continue;
    }
    if (elementsByTag(table, 'table').length > 0) continue;
    const { rows, columns } = rowAndColumnCount(table);
    if (columns === 1 || rows === 1) continue;
    if (rows >= 10 || columns > 4 || rows * columns > 10) dataTables.add(table);
  }
  return dataTables;
}

/** Lazy-loaded images keep their real URL in data-* attributes; move it to src/srcset. */
function fixLazyImages(root: Element): void {
  for (const el of elementsByTag(root, new Set(['img', 'picture', 'figure']))) {
    const isImg = el.name === 'img';
    let src = isImg ? el.attribs.src : undefined;
    const b64 = src ? /^data:\s*([^\s;,]+)\s*;\s*base64\s*,/i.exec(src) : null;
    if (src && b64) {
      if (b64[1] === 'image/svg+xml') continue;
      // A tiny base64 placeholder beside a real image URL is a lazy-loading stub.
      const hasOtherImage = Object.entries(el.attribs).some(([name, value]) => name !== 'src' && IMAGE_EXTENSION.test(value));
      if (hasOtherImage && src.length - b64[0].length < 133) {
        delete el.attribs.src;
        src = undefined;
      }
    }
    const srcset = isImg ? el.attribs.srcset : undefined;
    if ((src || (srcset && srcset !== 'null')) && !classOf(el).toLowerCase().includes('lazy')) continue;

    for (const [name, value] of Object.entries(el.attribs)) {
      if (name === 'src' || name === 'srcset' || name === 'alt') continue;
      let copyTo: string | undefined;
      if (/\.(jpg|jpeg|png|webp)\s+\d/.test(value)) copyTo = 'srcset';
      else if (/^\s*\S+\.(jpg|jpeg|png|webp)\S*\s*$/.test(value)) copyTo = 'src';
      if (!copyTo) continue;
      if (el.name === 'img' || el.name === 'picture') el.attribs[copyTo] = value;
      else if (el.name === 'figure' && elementsByTag(el, new Set(['img', 'picture'])).length === 0) {
        appendChild(el, createElement('img', { [copyTo]: value }));
      }
    }
  }
}

function isAllowedVideo(el: Element): boolean {
  if (Object.values(el.attribs).some((value) => PATTERNS.videos.test(value))) return true;
  return el.name === 'object' && PATTERNS.videos.test(textContent(el));
}

/** Removes every `tag` element, except embeds of known video hosts. */
function clean(root: Element, tag: string): void {
  const isEmbed = EMBEDS.has(tag);
  removeAll(elementsByTag(root, tag), (el) => !(isEmbed && isAllowedVideo(el)));
}

/** Removes `tag` elements that look like boilerplate rather than article. */
function cleanConditionally(root: Element, tag: string, options: CleanOptions, dataTables: Set<Element>): void {
  if (!options.cleanConditionally) return;
  const isDataTable = (t: Element) => dataTables.has(t);

  removeAll(elementsByTag(root, tag), (node) => {
    let isList = tag === 'ul' || tag === 'ol';
    if (!isList) {
      let listLength = 0;
      for (const list of elementsByTag(node, new Set(['ul', 'ol']))) listLength += innerText(list).length;
      isList = listLength / innerText(node).length > 0.9;
    }
    if (tag === 'table' && isDataTable(node)) return false;
    if (hasAncestorTag(node, 'table', -1, isDataTable)) return false;
    if (hasAncestorTag(node, 'code')) return false;
    if (elementsByTag(node, 'table').some(isDataTable)) return false;

    const weight = classWeight(node, options.weightClasses);
    if (weight < 0) return true;
    if (charCount(node, ',') >= 10) return false;

    // Few commas: remove when non-paragraph elements outnumber paragraphs, or other bad signs.
    const p = elementsByTag(node, 'p').length;
    const img = elementsByTag(node, 'img').length;
    const li = elementsByTag(node, 'li').length - 100;
    const input = elementsByTag(node, 'input').length;
    const headingDensity = textDensity(node, HEADINGS);
    let embedCount = 0;
    for (const embed of elementsByTag(node, EMBEDS)) {
      if (isAllowedVideo(embed)) return false;
      embedCount++;
    }
    const contentLength = innerText(node).length;
    // Short blocks saying only "Advertisement" or "Loading…" (the patterns match whole texts).
    if (contentLength < 30) {
      const text = innerText(node);
      if (PATTERNS.adWords.test(text) || PATTERNS.loadingWords.test(text)) return true;
    }

    const density = linkDensity(node);
    // Readability computes the text density of these tags and only asks whether it is zero;
    // summing it is cubic on deeply nested pages, so ask the question directly.
    const hasTextishText = elementsByTag(node, TEXTISH).some(hasText);
    const isFigureChild = hasAncestorTag(node, 'figure');

    const shouldRemove =
      (!isFigureChild && img > 1 && p / img < 0.5) ||
      (!isList && li > p) ||
      input > Math.floor(p / 3) ||
      (!isList && !isFigureChild && headingDensity < 0.9 && contentLength < 25 && (img === 0 || img > 2) && density > 0) ||
      (!isList && weight < 25 && density > 0.2) ||
      (weight >= 25 && density > 0.5) ||
      (embedCount === 1 && contentLength < 75) ||
      embedCount > 1 ||
      (img === 0 && !hasTextishText);

    // Simple lists of images stay: every item holds one thing, and every item has an image.
    if (isList && shouldRemove) {
      if (elementChildren(node).some((child) => elementChildren(child).length > 1)) return true;
      if (img === elementsByTag(node, 'li').length) return false;
    }
    return shouldRemove;
  });
}

/** Walks the subtree of `root` (not `root` itself) removing nodes that match. */
function cleanMatchedNodes(root: Element, filter: (node: Element, matchString: string) => boolean): void {
  const end = nextNode(root, true);
  let next = nextNode(root);
  while (next && next !== end) {
    if (filter(next, `${classOf(next)} ${idOf(next)}`)) {
      const after = nextNode(next, true);
      removeNode(next);
      next = after;
    } else {
      next = nextNode(next);
    }
  }
}

function setTag(el: Element, tag: string): Element {
  el.name = tag;
  return el;
}

/** Clean-up of the chosen content before it is shown. */
export function prepareArticle(article: Element, options: CleanOptions): void {
  cleanStyles(article);
  const dataTables = findDataTables(article);
  fixLazyImages(article);

  cleanConditionally(article, 'form', options, dataTables);
  cleanConditionally(article, 'fieldset', options, dataTables);
  for (const tag of ['object', 'embed', 'footer', 'link', 'aside', 'nav']) clean(article, tag);

  // Share bars: short elements named "share", below the top level (a top-level block named
  // "share" may be the article itself).
  for (const topCandidate of elementChildren(article)) {
    cleanMatchedNodes(topCandidate, (node, matchString) =>
      PATTERNS.shareElements.test(matchString) && textContent(node).length < CHAR_THRESHOLD,
    );
  }

  for (const tag of ['iframe', 'input', 'textarea', 'select', 'button']) clean(article, tag);
  removeAll(elementsByTag(article, new Set(['h1', 'h2'])), (h) => classWeight(h, options.weightClasses) < 0);

  // Last, as the removals above change these measurements.
  cleanConditionally(article, 'table', options, dataTables);
  cleanConditionally(article, 'ul', options, dataTables);
  cleanConditionally(article, 'div', options, dataTables);

  // The title is shown separately, so the content's headings start at <h2>.
  for (const h1 of elementsByTag(article, 'h1')) setTag(h1, 'h2');

  removeAll(
    elementsByTag(article, 'p'),
    (p) => elementsByTag(p, new Set(['img', 'embed', 'object', 'iframe'])).length === 0 && !hasText(p),
  );
  for (const br of elementsByTag(article, 'br')) {
    const next = skipWhitespace(br.next);
    if (next && isElement(next) && next.name === 'p') removeNode(br);
  }

  // Single-cell tables are layout: keep only the cell.
  for (const table of elementsByTag(article, 'table')) {
    const tbody = hasSingleTagInside(table, 'tbody') ? (firstElementChild(table) as Element) : table;
    if (!hasSingleTagInside(tbody, 'tr')) continue;
    const row = firstElementChild(tbody) as Element;
    if (!hasSingleTagInside(row, 'td')) continue;
    const cell = firstElementChild(row) as Element;
    setTag(cell, cell.children.every(isPhrasingContent) ? 'p' : 'div');
    replaceNode(table, cell);
  }
}

/**
 * Clean-up of content a site rule selected: the selector is trusted, so only styles, lazy
 * images, non-video embeds and form controls are dealt with (`remove:` handles the rest).
 */
export function prepareSelectedContent(article: Element): void {
  cleanStyles(article);
  fixLazyImages(article);
  for (const tag of ['object', 'embed', 'iframe', 'input', 'textarea', 'select', 'button']) clean(article, tag);
}

/** Resolves `uri` against the page; in-page anchors stay as they are when no <base> moved them. */
export function urlResolver(baseUrl: string | undefined, documentUrl: string | undefined): (uri: string) => string {
  return (uri) => {
    if (baseUrl === documentUrl && uri.startsWith('#')) return uri;
    if (!baseUrl) return uri;
    try {
      return new URL(uri, baseUrl).href;
    } catch {
      return uri;
    }
  };
}

const SRCSET_URL = /(\S+)(\s+[\d.]+[xw])?(\s*(?:,|$))/g;

/** Absolute URLs in links and media; javascript: links become their text. */
export function fixRelativeUris(article: Element, resolve: (uri: string) => string): void {
  for (const link of elementsByTag(article, 'a')) {
    const href = link.attribs.href;
    if (!href) continue;
    if (/^\s*javascript:/i.test(href)) {
      const only = link.children.length === 1 ? link.children[0] : undefined;
      if (only && isText(only)) {
        replaceNode(link, createText(only.data));
      } else {
        const span = createElement('span');
        while (link.children.length > 0) appendChild(span, link.children[0] as ChildNode);
        replaceNode(link, span);
      }
    } else {
      link.attribs.href = resolve(href);
    }
  }
  for (const media of elementsByTag(article, new Set(['img', 'picture', 'figure', 'video', 'audio', 'source']))) {
    const { src, poster, srcset } = media.attribs;
    if (src) media.attribs.src = resolve(src);
    if (poster) media.attribs.poster = resolve(poster);
    if (srcset) {
      media.attribs.srcset = srcset.replace(SRCSET_URL, (_, url: string, size: string | undefined, end: string) =>
        resolve(url) + (size ?? '') + end,
      );
    }
  }
}

/** Unwraps <div>/<section> wrappers that hold a single <div>/<section>; drops empty ones. */
export function simplifyNestedElements(article: Element): void {
  let node: Element | null = article;
  while (node) {
    if (node.parent && node !== article && (node.name === 'div' || node.name === 'section')) {
      if (isElementWithoutContent(node)) {
        const next = nextNode(node, true);
        removeNode(node);
        node = next;
        continue;
      }
      if (hasSingleTagInside(node, 'div') || hasSingleTagInside(node, 'section')) {
        const child = firstElementChild(node) as Element;
        child.attribs = { ...child.attribs, ...node.attribs };
        replaceNode(node, child);
        node = child;
        continue;
      }
    }
    node = nextNode(node);
  }
}

/** Drops every class attribute: the page's stylesheet is gone, so they only add noise. */
export function cleanClasses(el: Element): void {
  delete el.attribs.class;
  for (const child of elementChildren(el)) cleanClasses(child);
}
