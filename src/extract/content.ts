// Finds the main content by readability-style scoring (after Mozilla Readability, Apache-2.0):
// paragraphs earn points for length and commas, and pass them up to their parent (full), the
// grandparent (half) and further ancestors (less); the best-scoring block, with siblings that
// score close to it, is the article. A result under 500 characters is retried with fewer
// heuristics (keep "unlikely" blocks, then ignore class names, then keep "fishy" blocks).

import {
  ancestors,
  appendChild,
  createElement,
  elementChildren,
  elementsByTag,
  firstElementChild,
  isElement,
  moveChildren,
  setChildren,
  nextNode,
  detach,
  removeNode,
  replaceNode,
  textContent,
  type ChildNode,
  type Element,
  type ParentNode,
} from './dom.js';
import {
  hasChildBlockElement,
  hasSingleTagInside,
  isElementWithoutContent,
  isPhrasingContent,
  isWhitespace,
  prepareArticle,
  type CleanOptions,
} from './clean.js';
import { textSimilarity } from './metadata.js';
import {
  PATTERNS,
  UNLIKELY_ROLES,
  classOf,
  classWeight,
  hasAncestorTag,
  idOf,
  innerText,
  isProbablyVisible,
  linkDensity,
} from './signals.js';

export interface FoundContent {
  /** A detached <div> holding the article's blocks. */
  content: Element;
  /** Byline text found in the page (an element classed "byline", rel=author, ...). */
  byline?: string;
}

interface Attempt extends CleanOptions {
  stripUnlikelys: boolean;
}

const CHAR_THRESHOLD = 500;
const TOP_CANDIDATES = 5;
const MIN_PARAGRAPH = 25;
const TAGS_TO_SCORE = new Set(['section', 'h2', 'h3', 'h4', 'h5', 'h6', 'p', 'td', 'pre']);
const EMPTY_DROPPABLE = new Set(['div', 'section', 'header', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6']);
const KEEP_TAG_WHEN_JOINED = new Set(['div', 'article', 'section', 'p', 'ol', 'ul']);

const ATTEMPTS: Attempt[] = [
  { stripUnlikelys: true, weightClasses: true, cleanConditionally: true },
  { stripUnlikelys: false, weightClasses: true, cleanConditionally: true },
  { stripUnlikelys: false, weightClasses: false, cleanConditionally: true },
  { stripUnlikelys: false, weightClasses: false, cleanConditionally: false },
];

function tagScore(tag: string): number {
  switch (tag) {
    case 'div':
      return 5;
    case 'pre':
    case 'td':
    case 'blockquote':
      return 3;
    case 'address':
    case 'ol':
    case 'ul':
    case 'dl':
    case 'dd':
    case 'dt':
    case 'li':
    case 'form':
      return -3;
    case 'h1':
    case 'h2':
    case 'h3':
    case 'h4':
    case 'h5':
    case 'h6':
    case 'th':
      return -5;
    default:
      return 0;
  }
}

function isBylineNode(el: Element, matchString: string): boolean {
  const rel = el.attribs.rel;
  const itemprop = el.attribs.itemprop;
  if (!(rel === 'author' || itemprop?.includes('author') || PATTERNS.byline.test(matchString))) return false;
  const length = textContent(el).trim().length;
  return length > 0 && length < 100;
}

const flatLower = (text: string) => text.replace(/\s+/g, ' ').trim().toLowerCase();

/** An element whose whole text is the byline, maybe after "By": "By Ann Smith" for "Ann Smith". */
function isBylineText(el: Element, byline: string): boolean {
  // Bounded: this is asked of every element on the way down, the <body> included.
  const limit = 2 * byline.length + 40;
  const raw = textContent(el, limit);
  if (raw.length > limit) return false;
  const text = flatLower(raw);
  const name = flatLower(byline);
  return text === name || text.replace(/^by:?\s+/, '') === name;
}

class ContentFinder {
  private readonly scores = new Map<Element, number>();
  /** Only the first byline element of a pass is removed (and taken when no byline is known). */
  private lookForByline = true;
  byline: string | undefined;

  constructor(
    private readonly root: ParentNode,
    private readonly body: Element,
    private readonly title: string,
    private readonly attempt: Attempt,
    /** The byline from the metadata or an earlier pass. */
    private readonly knownByline: string | undefined,
  ) {
    this.byline = knownByline;
  }

  private initialize(el: Element): void {
    this.scores.set(el, tagScore(el.name) + classWeight(el, this.attempt.weightClasses));
  }

  private score(el: Element): number {
    return this.scores.get(el) ?? 0;
  }

  private headerDuplicatesTitle(el: Element): boolean {
    if (el.name !== 'h1' && el.name !== 'h2') return false;
    return textSimilarity(this.title, innerText(el, false)) > 0.75;
  }

  /** Drops invisible and unlikely nodes, finds the byline, and turns text-only divs into <p>. */
  private prepareNodes(): Element[] {
    const toScore: Element[] = [];
    let shouldRemoveTitleHeader = true;
    let node: Element | null = firstElementChild(this.root);
    const removeAndNext = (el: Element) => {
      const next = nextNode(el, true);
      removeNode(el);
      return next;
    };

    while (node) {
      const matchString = `${classOf(node)} ${idOf(node)}`;

      if (!isProbablyVisible(node) || (node.attribs['aria-modal'] === 'true' && node.attribs.role === 'dialog')) {
        node = removeAndNext(node);
        continue;
      }

      if (this.lookForByline && (isBylineNode(node, matchString) || (this.knownByline !== undefined && isBylineText(node, this.knownByline)))) {
        this.lookForByline = false;
        if (this.byline !== undefined) {
          node = removeAndNext(node);
          continue;
        }
        // Prefer the [itemprop=name] inside the byline: "By <span itemprop=name>Ann</span>".
        const end = nextNode(node, true);
        let next = nextNode(node);
        let nameNode: Element | undefined;
        while (next && next !== end) {
          if (next.attribs.itemprop?.includes('name')) {
            nameNode = next;
            break;
          }
          next = nextNode(next);
        }
        this.byline = textContent(nameNode ?? node).trim();
        node = removeAndNext(node);
        continue;
      }

      if (shouldRemoveTitleHeader && this.headerDuplicatesTitle(node)) {
        shouldRemoveTitleHeader = false;
        node = removeAndNext(node);
        continue;
      }

      if (this.attempt.stripUnlikelys) {
        if (
          PATTERNS.unlikelyCandidates.test(matchString) &&
          !PATTERNS.okMaybeItsACandidate.test(matchString) &&
          !hasAncestorTag(node, 'table') &&
          !hasAncestorTag(node, 'code') &&
          node.name !== 'body' &&
          node.name !== 'a' &&
          // Rendered equations (MathJax's "CtxtMenu" classes) hold MathML: content, not a menu.
          elementsByTag(node, 'math').length === 0
        ) {
          node = removeAndNext(node);
          continue;
        }
        const role = node.attribs.role;
        if (role !== undefined && UNLIKELY_ROLES.has(role)) {
          node = removeAndNext(node);
          continue;
        }
      }

      if (EMPTY_DROPPABLE.has(node.name) && isElementWithoutContent(node)) {
        node = removeAndNext(node);
        continue;
      }

      if (TAGS_TO_SCORE.has(node.name)) toScore.push(node);

      if (node.name === 'div') {
        this.wrapPhrasingRuns(node);
        // A div that only wraps one paragraph is that paragraph, for scoring purposes.
        if (hasSingleTagInside(node, 'p') && linkDensity(node) < 0.25) {
          const paragraph = firstElementChild(node) as Element;
          replaceNode(node, paragraph);
          node = paragraph;
          toScore.push(node);
        } else if (!hasChildBlockElement(node)) {
          node.name = 'p';
          toScore.push(node);
        }
      }
      node = nextNode(node);
    }
    return toScore;
  }

  /** Wraps each run of inline content directly inside a div in its own <p>. */
  private wrapPhrasingRuns(div: Element): void {
    const children: ChildNode[] = [];
    const paragraphs: Element[] = [];
    let run: ChildNode[] | null = null;
    for (const child of div.children) {
      if (isPhrasingContent(child)) {
        if (run !== null) {
          run.push(child);
        } else if (isWhitespace(child)) {
          children.push(child);
        } else {
          const p = createElement('p');
          paragraphs.push(p);
          children.push(p);
          run = [child];
          p.children = run;
        }
      } else {
        // Trailing whitespace goes, unless the run ends the div (as in Readability).
        if (run !== null) while (run.length > 0 && isWhitespace(run[run.length - 1] as ChildNode)) detach(run.pop() as ChildNode);
        run = null;
        children.push(child);
      }
    }
    if (paragraphs.length === 0) return;
    for (const p of paragraphs) setChildren(p, p.children);
    setChildren(div, children);
  }

  /** Scores paragraphs and credits their ancestors; returns every credited ancestor. */
  private scoreParagraphs(toScore: Element[]): Element[] {
    const candidates: Element[] = [];
    for (const el of toScore) {
      if (!el.parent || !isElement(el.parent)) continue;
      const text = innerText(el);
      if (text.length < MIN_PARAGRAPH) continue;
      const elAncestors = ancestors(el, 5);
      if (elAncestors.length === 0) continue;

      const score = 1 + text.split(PATTERNS.commas).length + Math.min(Math.floor(text.length / 100), 3);
      elAncestors.forEach((ancestor, level) => {
        if (!isElement(ancestor) || !ancestor.parent || !isElement(ancestor.parent)) return;
        if (!this.scores.has(ancestor)) {
          this.initialize(ancestor);
          candidates.push(ancestor);
        }
        const divider = level === 0 ? 1 : level === 1 ? 2 : level * 3;
        this.scores.set(ancestor, this.score(ancestor) + score / divider);
      });
    }
    return candidates;
  }

  /** The best candidate after the link-density penalty, moved up the tree when that helps. */
  private pickTopCandidate(candidates: Element[]): { top: Element } {
    const top: Element[] = [];
    for (const candidate of candidates) {
      const score = this.score(candidate) * (1 - linkDensity(candidate));
      this.scores.set(candidate, score);
      for (let t = 0; t < TOP_CANDIDATES; t++) {
        const other = top[t];
        if (!other || score > this.score(other)) {
          top.splice(t, 0, candidate);
          if (top.length > TOP_CANDIDATES) top.pop();
          break;
        }
      }
    }

    let topCandidate = top[0];
    if (!topCandidate || topCandidate.name === 'body') {
      // Nothing stood out: take the whole body, text nodes included.
      const wrapper = createElement('div');
      moveChildren(this.body, wrapper);
      appendChild(this.body, wrapper);
      this.initialize(wrapper);
      return { top: wrapper };
    }

    // Several near-equal candidates under one ancestor: the ancestor is the article.
    const alternatives: ParentNode[][] = [];
    for (let i = 1; i < top.length; i++) {
      if (this.score(top[i] as Element) / this.score(topCandidate) >= 0.75) alternatives.push(ancestors(top[i] as Element));
    }
    const MINIMUM = 3;
    if (alternatives.length >= MINIMUM) {
      let parent = topCandidate.parent;
      while (parent && isElement(parent) && parent.name !== 'body') {
        let lists = 0;
        for (let i = 0; i < alternatives.length && lists < MINIMUM; i++) {
          if ((alternatives[i] as ParentNode[]).includes(parent)) lists++;
        }
        if (lists >= MINIMUM) {
          topCandidate = parent;
          break;
        }
        parent = parent.parent;
      }
    }
    if (!this.scores.has(topCandidate)) this.initialize(topCandidate);

    // A parent scoring higher than its child holds more of the article.
    let parent = topCandidate.parent;
    let lastScore = this.score(topCandidate);
    const threshold = lastScore / 3;
    while (parent && isElement(parent) && parent.name !== 'body') {
      if (!this.scores.has(parent)) {
        parent = parent.parent;
        continue;
      }
      const parentScore = this.score(parent);
      if (parentScore < threshold) break;
      if (parentScore > lastScore) {
        topCandidate = parent;
        break;
      }
      lastScore = parentScore;
      parent = parent.parent;
    }

    // An only child says no more than its parent; the parent's siblings may be content.
    parent = topCandidate.parent;
    while (parent && isElement(parent) && parent.name !== 'body' && elementChildren(parent).length === 1) {
      topCandidate = parent;
      parent = topCandidate.parent;
    }
    if (!this.scores.has(topCandidate)) this.initialize(topCandidate);
    return { top: topCandidate };
  }

  /** The top candidate plus siblings that score close to it or read like paragraphs. */
  private joinSiblings(topCandidate: Element): Element {
    const article = createElement('div');
    const topScore = this.score(topCandidate);
    const threshold = Math.max(10, topScore * 0.2);
    const parent = topCandidate.parent as ParentNode;
    const topClass = classOf(topCandidate);

    for (const sibling of elementChildren(parent)) {
      let append = sibling === topCandidate;
      if (!append) {
        const bonus = classOf(sibling) === topClass && topClass !== '' ? topScore * 0.2 : 0;
        if (this.scores.has(sibling) && this.score(sibling) + bonus >= threshold) {
          append = true;
        } else if (sibling.name === 'p') {
          const density = linkDensity(sibling);
          const text = innerText(sibling);
          if (text.length > 80 && density < 0.25) append = true;
          else if (text.length < 80 && text.length > 0 && density === 0 && text.search(/\.( |$)/) !== -1) append = true;
        }
      }
      if (!append) continue;
      // Uncommon containers (a <td>, a <form>) become <div>s so cleaning does not drop them.
      if (!KEEP_TAG_WHEN_JOINED.has(sibling.name)) sibling.name = 'div';
      appendChild(article, sibling);
    }
    return article;
  }

  /** One pass with this attempt's heuristics: a detached <div> wrapping a page <div>. */
  run(): Element {
    const toScore = this.prepareNodes();
    const candidates = this.scoreParagraphs(toScore);
    const { top } = this.pickTopCandidate(candidates);
    const article = this.joinSiblings(top);
    prepareArticle(article, this.attempt);

    // The page wrapper keeps `simplifyNestedElements` from unwrapping the article root.
    const page = createElement('div');
    moveChildren(article, page);
    appendChild(article, page);
    return article;
  }
}

function findBody(root: ParentNode): Element | undefined {
  const html = elementsByTag(root, 'html')[0];
  return html ? elementChildren(html).find((el) => el.name === 'body') : elementsByTag(root, 'body')[0];
}

/**
 * The article's main content, or undefined when no text is left once boilerplate is gone.
 * `prepared(0)` is the document to work on; a retry asks `prepared(n)` for a fresh copy, as
 * each pass changes the tree (re-parsing only the ~10% of pages that need a retry is cheaper
 * than copying every page up front). `title` is used to drop a heading that repeats it;
 * `knownByline` (the metadata's) is kept as the byline, and its element in the page removed.
 */
export function findContent(
  prepared: (pass: number) => ParentNode,
  title: string,
  knownByline: string | undefined,
): FoundContent | undefined {
  const attempts: { content: Element; length: number }[] = [];
  let byline = knownByline;

  for (let i = 0; i < ATTEMPTS.length; i++) {
    const root = prepared(i);
    const body = findBody(root);
    if (!body) return undefined;
    const finder = new ContentFinder(root, body, title, ATTEMPTS[i] as Attempt, byline);
    const content = finder.run();
    byline = finder.byline;
    const length = innerText(content).length;
    if (length >= CHAR_THRESHOLD) return { content, byline };
    attempts.push({ content, length });
  }
  attempts.sort((a, b) => b.length - a.length);
  const best = attempts[0];
  return best && best.length > 0 ? { content: best.content, byline } : undefined;
}
