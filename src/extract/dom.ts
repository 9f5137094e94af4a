// Small, fast DOM helpers over the domhandler tree that cheerio builds. The scoring walks and
// rewrites the tree thousands of times per page, so it works on nodes directly instead of
// through cheerio wrappers; names are lower case (parse5 lower-cases HTML tag names).

import { Element, Text, type AnyNode, type ChildNode, type ParentNode } from 'domhandler';

export type { AnyNode, ChildNode, Element, ParentNode, Text };

export function isElement(node: AnyNode | null | undefined): node is Element {
  if (!node) return false;
  const type = node.type;
  return type === 'tag' || type === 'script' || type === 'style';
}

export function isText(node: AnyNode): node is Text {
  return node.type === 'text';
}

/** True for a `Document`, `Element` or `CDATA`: anything with children. */
export function hasChildren(node: AnyNode): node is ParentNode {
  return 'children' in node;
}

export function attr(el: Element, name: string): string | undefined {
  return el.attribs[name];
}

/** The element children of a node, like the DOM's `children`. */
export function elementChildren(node: ParentNode): Element[] {
  const out: Element[] = [];
  for (const child of node.children) if (isElement(child)) out.push(child);
  return out;
}

export function firstElementChild(node: ParentNode): Element | null {
  for (const child of node.children) if (isElement(child)) return child;
  return null;
}

export function nextElementSibling(node: AnyNode): Element | null {
  let next = node.next;
  while (next && !isElement(next)) next = next.next;
  return next;
}

/**
 * The DOM's `textContent`: every descendant text node, concatenated. Given `limit`, it stops
 * once the text is longer (the result is then longer than `limit` but not complete).
 */
export function textContent(node: AnyNode, limit = Infinity): string {
  if (node.type === 'text') return (node as Text).data;
  if (!hasChildren(node)) return '';
  let out = '';
  const stack: AnyNode[] = [];
  for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i] as AnyNode);
  while (stack.length > 0) {
    const current = stack.pop() as AnyNode;
    if (current.type === 'text') {
      out += (current as Text).data;
      if (out.length > limit) return out;
    } else if (hasChildren(current)) {
      const kids = current.children;
      for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i] as AnyNode);
    }
  }
  return out;
}

/** Descendants (not the node itself) whose tag is in `names`, in document order. */
export function elementsByTag(root: ParentNode, names: ReadonlySet<string> | string): Element[] {
  const out: Element[] = [];
  const single = typeof names === 'string' ? names : undefined;
  const set = typeof names === 'string' ? undefined : names;
  const stack: AnyNode[] = [];
  for (let i = root.children.length - 1; i >= 0; i--) stack.push(root.children[i] as AnyNode);
  while (stack.length > 0) {
    const current = stack.pop() as AnyNode;
    if (!isElement(current)) {
      if (current.type === 'cdata') {
        const kids = (current as ParentNode).children;
        for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i] as AnyNode);
      }
      continue;
    }
    if (single !== undefined ? current.name === single : (set as ReadonlySet<string>).has(current.name)) {
      out.push(current);
    }
    const kids = current.children;
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i] as AnyNode);
  }
  return out;
}

/** Every descendant element, in document order. */
export function descendants(root: ParentNode): Element[] {
  const out: Element[] = [];
  const walk = (node: ParentNode) => {
    for (const child of node.children) {
      if (isElement(child)) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(root);
  return out;
}

export function createElement(name: string, attribs: Record<string, string> = {}): Element {
  return new Element(name, attribs);
}

export function createText(data: string): Text {
  return new Text(data);
}

/**
 * Index of `node` in `children`, scanning from both ends at once: the rewrites move nodes at
 * the start (wrapping runs into a new <p>) or the end (removing in reverse) of long child
 * lists, and a one-sided scan made those quadratic on pages with thousands of siblings.
 */
function indexOfChild(children: ChildNode[], node: ChildNode): number {
  for (let i = 0, j = children.length - 1; i <= j; i++, j--) {
    if (children[i] === node) return i;
    if (children[j] === node) return j;
  }
  return -1;
}

/** Clears a node's links after its parent's child list was rebuilt without it. */
export function detach(node: ChildNode): void {
  node.parent = null;
  node.prev = null;
  node.next = null;
}

/** Detaches a node from its parent (no-op when already detached). */
export function removeNode(node: ChildNode): void {
  const parent = node.parent;
  if (node.prev) node.prev.next = node.next;
  if (node.next) node.next.prev = node.prev;
  if (parent) {
    const index = indexOfChild(parent.children, node);
    if (index >= 0) parent.children.splice(index, 1);
  }
  node.prev = null;
  node.next = null;
  node.parent = null;
}

/** Puts `replacement` where `old` is; `replacement` is first detached from wherever it was. */
export function replaceNode(old: ChildNode, replacement: ChildNode): void {
  if (old === replacement) return;
  removeNode(replacement);
  const parent = old.parent;
  if (!parent) return;
  const index = indexOfChild(parent.children, old);
  parent.children[index] = replacement;
  replacement.parent = parent;
  replacement.prev = old.prev;
  replacement.next = old.next;
  if (old.prev) old.prev.next = replacement;
  if (old.next) old.next.prev = replacement;
  old.parent = null;
  old.prev = null;
  old.next = null;
}

/** Appends `child` as the last child of `parent`, moving it from its old place. */
export function appendChild(parent: ParentNode, child: ChildNode): void {
  removeNode(child);
  const last = parent.children[parent.children.length - 1] ?? null;
  child.parent = parent;
  child.prev = last;
  child.next = null;
  if (last) last.next = child;
  parent.children.push(child);
}

/** Inserts `child` before `reference` (a child of `parent`), moving it from its old place. */
export function insertBefore(parent: ParentNode, child: ChildNode, reference: ChildNode): void {
  removeNode(child);
  const index = indexOfChild(parent.children, reference);
  if (index < 0) {
    appendChild(parent, child);
    return;
  }
  child.parent = parent;
  child.prev = reference.prev;
  child.next = reference;
  if (reference.prev) reference.prev.next = child;
  reference.prev = child;
  parent.children.splice(index, 0, child);
}

/**
 * Makes `children` the child list of `parent`, in that order, fixing every link. Rewrites that
 * regroup many siblings build the new list and call this once: moving nodes one by one costs
 * an array splice each, which is quadratic on a <div> with thousands of children.
 */
export function setChildren(parent: ParentNode, children: ChildNode[]): void {
  parent.children = children;
  let prev: ChildNode | null = null;
  for (const child of children) {
    child.parent = parent;
    child.prev = prev;
    if (prev) prev.next = child;
    prev = child;
  }
  if (prev) prev.next = null;
}

/** Moves every child of `from` to the end of `to`. */
export function moveChildren(from: ParentNode, to: ParentNode): void {
  const moving = from.children;
  from.children = [];
  setChildren(to, [...to.children, ...moving]);
}

/**
 * Depth-first walk over elements, as Readability's `_getNextNode`: children first unless
 * `skipChildren`, then the next sibling, then the next sibling of the nearest ancestor.
 */
export function nextNode(node: Element, skipChildren = false): Element | null {
  if (!skipChildren) {
    const first = firstElementChild(node);
    if (first) return first;
  }
  const sibling = nextElementSibling(node);
  if (sibling) return sibling;
  let current: AnyNode | null = node.parent;
  while (current && !nextElementSibling(current)) current = current.parent;
  return current ? nextElementSibling(current) : null;
}

/** Ancestors nearest first; at most `maxDepth` of them when it is positive. */
export function ancestors(node: AnyNode, maxDepth = 0): ParentNode[] {
  const out: ParentNode[] = [];
  let current = node.parent;
  while (current) {
    out.push(current);
    if (maxDepth && out.length === maxDepth) break;
    current = current.parent;
  }
  return out;
}

/**
 * Bounds the tree's depth as browsers do (Blink's parser stops nesting at 512): below
 * `maxDepth`, descendants become flat siblings in document order, so text and order survive
 * while the scoring's per-ancestor work stays bounded on hostile, absurdly nested pages.
 */
export function limitDepth(root: ParentNode, maxDepth: number): void {
  const stack: [ParentNode, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [ParentNode, number];
    if (depth >= maxDepth && node.children.some(hasChildren)) {
      const flat: ChildNode[] = [];
      const collect = (parent: ParentNode) => {
        const pending: ChildNode[] = [...parent.children].reverse();
        while (pending.length > 0) {
          const child = pending.pop() as ChildNode;
          flat.push(child);
          if (hasChildren(child)) {
            for (let i = child.children.length - 1; i >= 0; i--) pending.push(child.children[i] as ChildNode);
            child.children = [];
          }
        }
      };
      collect(node);
      setChildren(node, flat);
      continue;
    }
    for (const child of node.children) if (hasChildren(child)) stack.push([child, depth + 1]);
  }
}
