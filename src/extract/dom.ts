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

/** The DOM's `textContent`: every descendant text node, concatenated. */
export function textContent(node: AnyNode): string {
  if (node.type === 'text') return (node as Text).data;
  if (!hasChildren(node)) return '';
  let out = '';
  const stack: AnyNode[] = [];
  for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i] as AnyNode);
  while (stack.length > 0) {
    const current = stack.pop() as AnyNode;
    if (current.type === 'text') out += (current as Text).data;
    else if (hasChildren(current)) {
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

/** Detaches a node from its parent (no-op when already detached). */
export function removeNode(node: ChildNode): void {
  const parent = node.parent;
  if (node.prev) node.prev.next = node.next;
  if (node.next) node.next.prev = node.prev;
  if (parent) {
    const index = parent.children.lastIndexOf(node);
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
  const index = parent.children.indexOf(old);
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
  const index = parent.children.indexOf(reference);
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

/** Moves every child of `from` to the end of `to`. */
export function moveChildren(from: ParentNode, to: ParentNode): void {
  // Detach them all at once: one by one would rescan the child list for each.
  const moving = from.children.splice(0, from.children.length);
  let last = to.children[to.children.length - 1] ?? null;
  for (const child of moving) {
    child.parent = to;
    child.prev = last;
    if (last) last.next = child;
    last = child;
    to.children.push(child);
  }
  if (last) last.next = null;
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
