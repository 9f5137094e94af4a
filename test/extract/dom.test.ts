// Specification of the tree helpers whose behaviour is not visible through extractArticle alone.

import { load } from 'cheerio';
import { describe, expect, it } from 'vitest';
import { descendants, limitDepth, type ParentNode } from '../../src/extract/dom.js';
import { toPlainText } from '../../src/extract/text.js';

function depthOf(node: ParentNode): number {
  let max = 0;
  for (const child of node.children) if ('children' in child) max = Math.max(max, 1 + depthOf(child));
  return max;
}

describe('limitDepth', () => {
  const nested = (levels: number) =>
    `<html><body>${'<div><b>x</b>'.repeat(levels)}<p>bottom</p>${'</div>'.repeat(levels)}<p>after</p></body></html>`;

  it('flattens everything below the limit into siblings, in document order', () => {
    const root = load(nested(50)).root()[0] as ParentNode;
    const before = toPlainText(root);
    limitDepth(root, 10);
    expect(depthOf(root)).toBeLessThanOrEqual(11);
    expect(toPlainText(root)).toBe(before);
    expect(descendants(root).filter((el) => el.name === 'div')).toHaveLength(50);
  });

  it('leaves a tree within the limit untouched', () => {
    const root = load(nested(5)).root()[0] as ParentNode;
    const html = load(nested(5)).html();
    limitDepth(root, 50);
    expect(load(root).html()).toBe(html);
  });
});
