// OPML subscription lists (what feed readers export) to feed entries. Every <outline> with an
// xmlUrl is a feed; the titles of the outlines it sits in, and its `category` attribute, become
// its tags. Attribute names are matched without regard to case, as readers write them both ways.

import * as cheerio from 'cheerio';
import type { Element } from 'domhandler';

export interface OpmlFeed {
  url: string;
  title?: string;
  tags: string[];
}

export class OpmlError extends Error {}

export function parseOpml(text: string, source: string): OpmlFeed[] {
  const $ = cheerio.load(text, { xml: true });
  if ($('opml').length === 0) throw new OpmlError(`${source}: not an OPML file (no <opml> element); export your subscriptions as OPML`);
  const feeds: OpmlFeed[] = [];
  $('outline').each((_, el) => {
    const attrs = lowerCaseAttrs(el);
    const url = attrs.xmlurl?.trim();
    if (!url) return;
    const folders = $(el)
      .parents('outline')
      .toArray()
      .reverse()
      .map((parent) => outlineTitle(lowerCaseAttrs(parent)))
      .filter((t): t is string => Boolean(t));
    const categories = (attrs.category ?? '').split(',').flatMap((c) => c.split('/')).map((c) => c.trim()).filter(Boolean);
    feeds.push({ url, title: outlineTitle(attrs), tags: [...new Set([...folders, ...categories])] });
  });
  return feeds;
}

function lowerCaseAttrs(el: Element): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(el.attribs ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
}

function outlineTitle(attrs: Record<string, string | undefined>): string | undefined {
  return (attrs.title ?? attrs.text)?.trim() || undefined;
}
