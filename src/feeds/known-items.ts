// RSS items the poll already knows, taken out of a feed's canonical events before the tree is
// built and rss-parser reads them: a poll of a changed feed finds one or two new items among
// dozens, and building and reading the others was most of its parse. Rules:
// - Only RSS items (the first <channel>'s, which rss-parser reads) whose first <guid> holds text
//   and no element: for them the item's id is that text, trimmed and bounded (boundId), exactly
//   as normalise.ts's itemKey makes it when the feed's identity is `guid`. Any other item (no
//   guid, an empty or structured one, Atom, RSS 1.0, JSON) is read as before and identified by
//   itemKey.
// - An item is taken out only if that id is in `known`; its position among the items is kept,
//   so that normaliseFeedItems sees the feed's ids in their order (first occurrence wins).

import { boundId } from './bounds.js';
import type { XmlEvent } from './xml2js-tree.js';

/** An item taken out before parsing: where it stood among the channel's items, and its id. */
export interface IdentifiedItem {
  index: number;
  id: string;
}

/**
 * The events without the known items, and those items; undefined when none is known (or the
 * events are not an RSS document's).
 */
export function withoutKnownItems(events: readonly XmlEvent[], known: ReadonlySet<string>): { events: XmlEvent[]; identified: IdentifiedItem[] } | undefined {
  if (known.size === 0) return undefined;
  const identified: IdentifiedItem[] = [];
  const cuts: [number, number][] = [];
  let depth = 0;
  let channels = 0;
  let inChannel = false;
  let itemIndex = -1;
  let itemStart = -1;
  // The first <guid> of the current item: its text so far, and whether it holds an element.
  let guid: string | undefined;
  let guidDone = false;
  let guidStructured = false;
  let inGuid = false;
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    if ('open' in event) {
      depth++;
      if (depth === 1 && event.open !== 'rss') return undefined;
      if (depth === 2 && event.open === 'channel') inChannel = ++channels === 1;
      else if (depth === 3 && inChannel && event.open === 'item') {
        itemIndex++;
        itemStart = i;
        guid = undefined;
        guidDone = false;
        guidStructured = false;
      } else if (depth === 4 && itemStart >= 0 && event.open === 'guid' && !guidDone) {
        inGuid = true;
        guid = '';
      } else if (inGuid) guidStructured = true;
    } else if ('text' in event) {
      if (inGuid && depth === 4) guid += event.text;
    } else {
      if (depth === 4 && inGuid) {
        inGuid = false;
        guidDone = true;
      } else if (depth === 3 && itemStart >= 0) {
        const text = guidStructured ? undefined : guid?.trim();
        const id = text ? boundId(text) : undefined;
        if (id !== undefined && known.has(id)) {
          identified.push({ index: itemIndex, id });
          cuts.push([itemStart, i]);
        }
        itemStart = -1;
      } else if (depth === 2) inChannel = false;
      depth--;
    }
  }
  if (identified.length === 0) return undefined;
  const kept: XmlEvent[] = [];
  let from = 0;
  for (const [start, end] of cuts) {
    for (let i = from; i < start; i++) kept.push(events[i]!);
    from = end + 1;
  }
  for (let i = from; i < events.length; i++) kept.push(events[i]!);
  return { events: kept, identified };
}
