// Second chance for feeds that are not well-formed XML, tried only after a strict parse failed.
// The repairs are the ones real feeds need: characters XML forbids are dropped, HTML named
// entities (&nbsp;, &mdash;) become numeric references, a bare "&" becomes "&amp;", and a
// closing tag cut off at the very end ("</rss") is closed.

import { decodeHTMLStrict } from 'entities';

const XML_ENTITIES = new Set(['amp', 'lt', 'gt', 'quot', 'apos']);
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
const AMPERSAND = /&(?:(#\d+|#x[0-9a-f]+)|([a-z][a-z0-9]*));|&/gi;

export function repairXml(text: string): string {
  return text
    .replace(FORBIDDEN, '')
    .replace(/<\/([\w:.-]+)\s*$/, '</$1>').replace(AMPERSAND, (match: string, numeric?: string, name?: string) => {
    if (numeric) return match;
    if (!name) return '&amp;';
    if (XML_ENTITIES.has(name)) return match;
    const decoded = decodeHTMLStrict(match);
    if (decoded === match) return `&amp;${name};`;
    return [...decoded].map((ch) => `&#${ch.codePointAt(0)};`).join('');
  });
}
