// The measurements content scoring and cleaning share: class/id weight, link density, visible
// text, visibility. Patterns follow Mozilla Readability (Apache-2.0), whose thresholds were
// tuned on thousands of pages.

import { elementsByTag, hasChildren, textContent, type Element, type ParentNode, type Text } from './dom.js';

export const PATTERNS = {
  unlikelyCandidates:
    /-ad-|ai2html|banner|breadcrumbs|combx|comment|community|cover-wrap|disqus|extra|footer|gdpr|header|legends|menu|related|remark|replies|rss|shoutbox|sidebar|skyscraper|social|sponsor|supplemental|ad-break|agegate|pagination|pager|popup|yom-remote/i,
  okMaybeItsACandidate: /and|article|body|column|content|main|shadow/i,
  positive: /article|body|content|entry|hentry|h-entry|main|page|pagination|post|text|blog|story/i,
  negative:
    /-ad-|hidden|^hid$| hid$| hid |^hid |banner|combx|comment|com-|contact|footer|gdpr|masthead|media|meta|outbrain|promo|related|scroll|share|shoutbox|sidebar|skyscraper|sponsor|shopping|tags|widget/i,
  byline: /byline|author|dateline|writtenby|p-author/i,
  videos:
    /\/\/(www\.)?((dailymotion|youtube|youtube-nocookie|player\.vimeo|v\.qq)\.com|(archive|upload\.wikimedia)\.org|player\.twitch\.tv)/i,
  shareElements: /(\b|_)(share|sharedaddy)(\b|_)/i,
  whitespace: /^\s*$/,
  hasContent: /\S$/,
  hashUrl: /^#.+/,
  commas: /\u002C|\u060C|\uFE50|\uFE10|\uFE11|\u2E41|\u2E34|\u2E32|\uFF0C/g,
  adWords: /^(ad(vertising|vertisement)?|pub(licité)?|werb(ung)?|广告|Реклама|Anuncio)$/iu,
  loadingWords: /^((loading|正在加载|Загрузка|chargement|cargando)(…|\.\.\.)?)$/iu,
};

export const UNLIKELY_ROLES = new Set(['menu', 'menubar', 'complementary', 'navigation', 'alert', 'alertdialog', 'dialog']);

/** Block-level tags whose presence keeps a <div> from becoming a <p>. */
export const DIV_TO_P_ELEMS = new Set(['blockquote', 'dl', 'div', 'img', 'ol', 'p', 'pre', 'table', 'ul']);

export const PHRASING_ELEMS = new Set([
  'abbr', 'audio', 'b', 'bdo', 'br', 'button', 'cite', 'code', 'data', 'datalist', 'dfn', 'em', 'embed',
  'i', 'img', 'input', 'kbd', 'label', 'mark', 'math', 'meter', 'noscript', 'object', 'output', 'progress',
  'q', 'ruby', 'samp', 'script', 'select', 'small', 'span', 'strong', 'sub', 'sup', 'textarea', 'time',
  'var', 'wbr',
]);

const SVG_NS = 'http://www.w3.org/2000/svg';

/** `className` as a browser reports it; SVG elements have none we can match on. */
export function classOf(el: Element): string {
  return el.namespace === SVG_NS ? '' : (el.attribs.class ?? '');
}

export function idOf(el: Element): string {
  return el.attribs.id ?? '';
}

/** Trimmed text with runs of whitespace collapsed, as used for all length measurements. */
export function innerText(node: ParentNode, normalize = true): string {
  const text = textContent(node).trim();
  return normalize ? text.replace(/\s{2,}/g, ' ') : text;
}

/** How many times `char` occurs in the node's text. */
export function charCount(node: ParentNode, char: string): number {
  let count = 0;
  const walk = (parent: ParentNode): void => {
    for (const child of parent.children) {
      if (child.type === 'text') {
        const data = (child as Text).data;
        for (let at = data.indexOf(char); at >= 0; at = data.indexOf(char, at + 1)) count++;
      } else if (hasChildren(child)) {
        walk(child);
      }
    }
  };
  walk(node);
  return count;
}

/** Class and id against the positive/negative patterns: -50..+50. */
export function classWeight(el: Element, weightClasses: boolean): number {
  if (!weightClasses) return 0;
  let weight = 0;
  const className = classOf(el);
  if (className !== '') {
    if (PATTERNS.negative.test(className)) weight -= 25;
    if (PATTERNS.positive.test(className)) weight += 25;
  }
  const id = idOf(el);
  if (id !== '') {
    if (PATTERNS.negative.test(id)) weight -= 25;
    if (PATTERNS.positive.test(id)) weight += 25;
  }
  return weight;
}

/** Share of the text that sits inside links (in-page `#` links count 30%). */
export function linkDensity(el: ParentNode): number {
  const length = innerText(el).length;
  if (length === 0) return 0;
  let linkLength = 0;
  for (const link of elementsByTag(el, 'a')) {
    const href = link.attribs.href;
    const coefficient = href && PATTERNS.hashUrl.test(href) ? 0.3 : 1;
    linkLength += innerText(link).length * coefficient;
  }
  return linkLength / length;
}

/** Share of the text inside descendants with the given tags. */
export function textDensity(el: ParentNode, tags: ReadonlySet<string>): number {
  const length = innerText(el).length;
  if (length === 0) return 0;
  let childrenLength = 0;
  for (const child of elementsByTag(el, tags)) childrenLength += innerText(child).length;
  return childrenLength / length;
}

const DISPLAY_NONE = /(?:^|;)\s*display\s*:\s*none\s*(?:!\s*important\s*)?(?:;|$)/i;
const VISIBILITY_HIDDEN = /(?:^|;)\s*visibility\s*:\s*hidden\s*(?:!\s*important\s*)?(?:;|$)/i;

/** False for nodes a reader cannot see: display:none, visibility:hidden, hidden, aria-hidden. */
export function isProbablyVisible(el: Element): boolean {
  const style = el.attribs.style;
  if (style && (DISPLAY_NONE.test(style) || VISIBILITY_HIDDEN.test(style))) return false;
  if ('hidden' in el.attribs) return false;
  // Wikimedia renders maths as aria-hidden fallback images; those are the only copy we keep.
  if (el.attribs['aria-hidden'] === 'true' && !classOf(el).includes('fallback-image')) return false;
  return true;
}

export function hasAncestorTag(
  node: Element,
  tag: string,
  maxDepth = 3,
  filter?: (el: Element) => boolean,
): boolean {
  let depth = 0;
  let current: ParentNode | null = node.parent;
  while (current) {
    if (maxDepth > 0 && depth > maxDepth) return false;
    if (current.type === 'tag' && (current as Element).name === tag && (!filter || filter(current as Element))) return true;
    current = current.parent;
    depth++;
  }
  return false;
}
