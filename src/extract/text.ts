// Plain text of extracted HTML, laid out as a reader would see it: paragraphs, headings and
// other blocks separated by a blank line, list items and table rows on their own lines, cells
// separated by a tab, whitespace collapsed except inside <pre> (whose lines lose their
// indentation: the text is for matching and previews, not for reading code).

import { isElement, isText, type AnyNode } from './dom.js';

const PARAGRAPH_BLOCKS = new Set([
  'address', 'article', 'aside', 'blockquote', 'details', 'dialog', 'div', 'dl', 'fieldset', 'figure',
  'footer', 'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr', 'main', 'nav', 'ol', 'p', 'pre',
  'section', 'table', 'ul', 'figcaption', 'summary', 'caption',
]);
const LINE_BLOCKS = new Set(['li', 'dt', 'dd', 'tr', 'option']);
const CELLS = new Set(['td', 'th']);
// Never shown as text: code, styles, fallbacks for what browsers do support (HTML parsers keep
// the content of iframe, noembed and noframes as raw markup), the document head.
const SKIPPED = new Set(['script', 'style', 'noscript', 'template', 'iframe', 'noembed', 'noframes', 'head', 'title']);

export function toPlainText(node: AnyNode): string {
  return textParts(node, false)
    .join('')
    .replace(/[ \t]*\n[ \t]*/g, '\n')
    .replace(/\t+/g, '\t')
    .replace(/ {2,}/g, ' ')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * The same text on one line: toPlainText with every run of white space made one space, built
 * without laying out lines and paragraphs first (titles and feed content need only the words).
 */
export function toOneLineText(node: AnyNode): string {
  return textParts(node, true).join('').replace(/\s+/g, ' ').trim();
}

/** Text nodes and the separators between them, in document order; `oneLine`: raw text, separators a space. */
function textParts(node: AnyNode, oneLine: boolean): string[] {
  const parts: string[] = [];

  const walk = (current: AnyNode, inPre: boolean): void => {
    if (isText(current)) {
      parts.push(inPre || oneLine ? current.data : current.data.replace(/\s+/g, ' '));
      return;
    }
    if (!isElement(current) && current.type !== 'root' && current.type !== 'cdata') return;
    const name = isElement(current) ? current.name : '';
    if (SKIPPED.has(name)) return;
    if (name === 'br') {
      parts.push(oneLine ? ' ' : '\n');
      return;
    }
    const separator = PARAGRAPH_BLOCKS.has(name) ? '\n\n' : LINE_BLOCKS.has(name) ? '\n' : CELLS.has(name) ? '\t' : '';
    if (separator) parts.push(oneLine ? ' ' : separator);
    const pre = inPre || name === 'pre';
    for (const child of (current as { children: AnyNode[] }).children) walk(child, pre);
    if (separator && separator !== '\t') parts.push(oneLine ? ' ' : separator);
  };
  walk(node, false);
  return parts;
}
