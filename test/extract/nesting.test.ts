// Specification of the nesting pre-scan (src/extract/nesting.ts): elements nested deeper than the
// cap lose their tags before parsing, their text stays, and the markup real pages use (unclosed
// list items and paragraphs, scripts, comments, quoted ">") is read as the parser reads it.

import { readdirSync, readFileSync } from 'node:fs';
import { load } from 'cheerio';
import { describe, expect, it } from 'vitest';
import { isElement, type AnyNode } from '../../src/extract/dom.js';
import { extractArticle } from '../../src/extract/index.js';
import { limitNesting } from '../../src/extract/nesting.js';

/** Depth of the deepest element in the tree parse5 builds (html = 1). */
function parsedDepth(html: string): number {
  let max = 0;
  const stack: [AnyNode, number][] = [[load(html).root()[0] as AnyNode, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [AnyNode, number];
    max = Math.max(max, depth);
    if ('children' in node) for (const child of node.children) if (isElement(child)) stack.push([child, depth + 1]);
  }
  return max;
}

const deep = (depth: number, inner = 'deep text') => `<!doctype html><html><body>${'<div>'.repeat(depth)}${inner}${'</div>'.repeat(depth)}<p>after</p></body></html>`;

describe('limitNesting', () => {
  it('flattens 100,000 nested <div>s to the cap in a moment, keeping the text', () => {
    const started = Date.now();
    const { html, removedTags } = limitNesting(deep(100_000), 512);
    expect(removedTags).toBe(2 * (100_000 - 510));
    expect(parsedDepth(html)).toBeLessThanOrEqual(514);
    const $ = load(html);
    expect($('body').text()).toContain('deep text');
    expect($('body > p').text()).toBe('after');
    // Generous: the scan and the parse of the result take well under a second on a laptop.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('keeps the structure above the cap and drops only the tags below it', () => {
    const { html } = limitNesting('<div id="a"><div id="b"><div id="c"><b>x</b><i>y</i></div></div><p>z</p></div>', 2);
    expect(html).toBe('<div id="a"><div id="b">xy</div><p>z</p></div>');
  });

  it('returns real pages unchanged', () => {
    const dir = new URL('../fixtures/extract/', import.meta.url);
    for (const name of readdirSync(dir)) {
      const page = readFileSync(new URL(name, dir), 'utf8');
      expect(limitNesting(page, 40)).toEqual({ html: page, removedTags: 0 });
    }
  });

  it('does not count the unclosed list items, paragraphs, cells and options the parser closes itself', () => {
    const items = '<ul>' + '<li>item <a href="#">link'.repeat(2_000) + '</ul>';
    const paragraphs = '<div>' + '<p>paragraph <b>bold</b>'.repeat(2_000) + '</div>';
    const table = '<table>' + '<tr><td>cell<td><p>cell'.repeat(2_000) + '</table>';
    const select = '<select>' + '<optgroup label=g><option>a<option>b'.repeat(2_000) + '</select>';
    const headings = '<h1>a<h2>b<h3>c'.repeat(2_000);
    const definitions = '<dl>' + '<dt>term<dd>definition'.repeat(2_000) + '</dl>';
    for (const page of [items, paragraphs, table, select, headings, definitions]) {
      expect(parsedDepth(page)).toBeLessThan(12);
      expect(limitNesting(page, 20).removedTags).toBe(0);
    }
  });

  it('skips scripts, styles, comments and quoted attribute values, where "<div>" is not a tag', () => {
    const page = [
      `<script>var s = "${'<div>'.repeat(100)}";</script>`,
      `<style>/* ${'<div>'.repeat(100)} */</style>`,
      `<!-- ${'<div>'.repeat(100)} -->`,
      `<img alt="${'<div>'.repeat(100)}" title='>'>`,
      `<textarea>${'<div>'.repeat(100)}</textarea>`,
      '<p>text</p>',
    ].join('');
    expect(limitNesting(page, 5)).toEqual({ html: page, removedTags: 0 });
  });

  it('keeps a deep <script> whole rather than turning its code into markup', () => {
    const { html } = limitNesting(`${'<div>'.repeat(10)}<script>if (a<b) x();</script>${'</div>'.repeat(10)}`, 3);
    expect(html).toContain('<script>if (a<b) x();</script>');
  });

  it('treats <x/> as self-closing in SVG only, as the parser does', () => {
    const svg = `<svg>${'<path d="M0 0"/>'.repeat(50)}</svg>`;
    expect(limitNesting(svg, 5).removedTags).toBe(0);
    const html = '<div/>'.repeat(50);
    expect(parsedDepth(html)).toBeGreaterThan(50);
    expect(limitNesting(html, 5).removedTags).toBe(45);
  });

  it('stays linear on markup built to make it search: stray end tags, deep unclosed inline runs', () => {
    const started = Date.now();
    limitNesting(`${'<span>'.repeat(100_000)}${'</div>'.repeat(200_000)}`, 512);
    limitNesting(`<div><table>${'<span>'.repeat(50_000)}${'</div>'.repeat(200_000)}`, 512);
    limitNesting('<li><ul>'.repeat(200_000), 512);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('extractArticle on a deeply nested page', () => {
  it('extracts the text of a page nested 100,000 deep and says how many tags it dropped', () => {
    const started = Date.now();
    const result = extractArticle(deep(100_000, '<p>The only paragraph, deep down, with enough words, commas, and clauses to count.</p>'));
    expect(result.text).toContain('The only paragraph');
    expect(result.flattenedTags).toBeGreaterThan(100_000);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('reports nothing flattened for an ordinary page', () => {
    expect(extractArticle(deep(30)).flattenedTags).toBeUndefined();
  });
});
