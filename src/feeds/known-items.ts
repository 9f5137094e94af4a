// RSS items and Atom entries the poll already knows, taken out of a feed's canonical events
// before the tree is built and rss-parser reads them: a poll of a changed feed finds one or two
// new items among dozens, and building and reading the others was most of its parse. Rules:
// - Only RSS items (the first <channel>'s, which rss-parser reads) whose first <guid> holds text
//   and no element, and Atom entries whose first <id> does: for them the item's id is that text,
//   trimmed and bounded (boundId), exactly as normalise.ts's itemKey makes it when the feed's
//   identity is `guid`. Any other item (no guid or id, an empty or structured one, RSS 1.0,
//   JSON) is read as before and identified by itemKey.
// - An item is taken out only if that id is in `known`; its position among the items is kept,
//   so that normaliseFeedItems sees the feed's ids in their order (first occurrence wins).

import { boundId } from './bounds.js';
import type { XmlEvent } from './xml2js-tree.js';

const LAYOUTS: Record<string, { itemDepth: number; item: string; id: string } | undefined> = {
  rss: { itemDepth: 3, item: 'item', id: 'guid' },
  feed: { itemDepth: 2, item: 'entry', id: 'id' },
};

/** An item taken out before parsing: where it stood among the feed's items, and its id. */
export interface IdentifiedItem {
  index: number;
  id: string;
}

/**
 * The events without the known items, and those items; undefined when none is known (or the
 * events are not an RSS or Atom document's).
 */
export function withoutKnownItems(events: readonly XmlEvent[], known: ReadonlySet<string>): { events: XmlEvent[]; identified: IdentifiedItem[] } | undefined {
  if (known.size === 0) return undefined;
  const first = events[0];
  // rss-parser reads rss > channel (the first) > item, and feed > entry.
  const layout = first && 'open' in first ? LAYOUTS[first.open] : undefined;
  if (!layout) return undefined;
  const { itemDepth, item: itemName, id: idName } = layout;
  const identified: IdentifiedItem[] = [];
  const cuts: [number, number][] = [];
  let depth = 0;
  let channels = 0;
  let inChannel = false;
  let itemIndex = -1;
  let itemStart = -1;
  // The first <guid> (Atom: <id>) of the current item: its text so far, and whether it holds an element.
  let guid: string | undefined;
  let guidDone = false;
  let guidStructured = false;
  let inGuid = false;
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    if ('open' in event) {
      depth++;
      if (depth === 2 && itemDepth === 3 && event.open === 'channel') inChannel = ++channels === 1;
      else if (depth === itemDepth && (inChannel || itemDepth === 2) && event.open === itemName) {
        itemIndex++;
        itemStart = i;
        guid = undefined;
        guidDone = false;
        guidStructured = false;
      } else if (depth === itemDepth + 1 && itemStart >= 0 && event.open === idName && !guidDone) {
        inGuid = true;
        guid = '';
      } else if (inGuid) guidStructured = true;
    } else if ('text' in event) {
      if (inGuid && depth === itemDepth + 1) guid += event.text;
    } else {
      if (depth === itemDepth + 1 && inGuid) {
        inGuid = false;
        guidDone = true;
      } else if (depth === itemDepth && itemStart >= 0) {
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
