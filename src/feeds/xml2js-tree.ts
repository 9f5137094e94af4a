// What xml2js, with the options rss-parser gives it, makes of the canonical XML, built from the
// canonical pass's own events instead of a second sax pass over its text (xml-canonical.ts
// records them). The rules are xml2js 0.5's: an element is an object without prototype with
// its text in "_" and its attributes in "$"; children are arrays under their names; text of
// white space alone is dropped; an element with text only is its text; an empty one is its
// white space (or ""); the root is wrapped in an object under its name. (xml2js keeps white
// space that came as CDATA; the canonical pass writes white space alone as text.)
// Element names xml2js uses as keys of its own ("_", "$", "#name", "cdata") would make the tree
// depend on its quirks: recordings with them are not replayed (replayable says so), and
// rss-parser reads the text with xml2js as before.

/** `construct`: the HTML of a text construct (xml-canonical.ts writes it as CDATA). */
export type XmlEvent = { open: string; attrs: Record<string, string> } | { text: string; construct?: true } | { close: true };

type XmlObject = Record<string, unknown>;

const OWN_KEYS = new Set(['_', '$', '#name', 'cdata']);

/** Whether xml2js's tree of these events is what replay builds. */
export function replayable(events: readonly XmlEvent[]): boolean {
  // A loop, not every with a closure made per call (why: the handlers in xml-canonical.ts).
  for (const e of events) if ('open' in e && OWN_KEYS.has(e.open)) return false;
  return true;
}

function assignOrPush(obj: XmlObject, key: string, value: unknown): void {
  if (!(key in obj)) obj[key] = [value];
  else {
    if (!Array.isArray(obj[key])) obj[key] = [obj[key]];
    (obj[key] as unknown[]).push(value);
  }
}

/** The object xml2js's parseString gives for the XML these events describe; null without a root. */
export function replay(events: readonly XmlEvent[]): XmlObject | null {
  const stack: XmlObject[] = [];
  // Beside each open element, its name and how many keys it has besides "_" (its attributes and
  // the names of its children), so that closing it needs no key of its own and no Object.keys.
  const names: string[] = [];
  const others: number[] = [];
  for (const event of events) {
    if ('open' in event) {
      const obj: XmlObject = Object.create(null);
      obj._ = '';
      let keys = 0;
      for (const key of Object.keys(event.attrs)) {
        if (keys === 0) {
          obj.$ = Object.create(null);
          keys = 1;
        }
        (obj.$ as XmlObject)[key] = event.attrs[key];
      }
      stack.push(obj);
      names.push(event.open);
      others.push(keys);
    } else if ('text' in event) {
      const top = stack[stack.length - 1];
      if (!top) continue;
      top._ += event.text;
    } else {
      const node = stack.pop();
      if (node === undefined) continue;
      const name = names.pop()!;
      const keys = others.pop()!;
      const text = node._ as string;
      // White space alone is dropped; an element with text only (or nothing) is its text.
      if (/^\s*$/.test(text)) delete node._;
      const obj: unknown = keys === 0 ? text : node;
      const parent = stack[stack.length - 1];
      if (parent) {
        if (!(name in parent)) others[others.length - 1]!++;
        assignOrPush(parent, name, obj);
      } else {
        const root: XmlObject = Object.create(null);
        root[name] = obj;
        return root;
      }
    }
  }
  return null;
}
