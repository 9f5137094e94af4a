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
  return events.every((e) => !('open' in e) || !OWN_KEYS.has(e.open));
}

const isEmpty = (thing: unknown) => typeof thing === 'object' && thing !== null && Object.keys(thing).length === 0;

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
  for (const event of events) {
    if ('open' in event) {
      const obj: XmlObject = Object.create(null);
      obj._ = '';
      for (const key of Object.keys(event.attrs)) {
        if (!('$' in obj)) obj.$ = Object.create(null);
        (obj.$ as XmlObject)[key] = event.attrs[key];
      }
      obj['#name'] = event.open;
      stack.push(obj);
    } else if ('text' in event) {
      const top = stack[stack.length - 1];
      if (!top) continue;
      top._ += event.text;
    } else {
      let obj: unknown = stack.pop();
      if (obj === undefined) continue;
      const node = obj as XmlObject;
      const name = node['#name'] as string;
      delete node['#name'];
      let emptyStr: string | undefined;
      if (/^\s*$/.test(node._ as string)) {
        emptyStr = node._ as string;
        delete node._;
      } else if (Object.keys(node).length === 1 && '_' in node) {
        obj = node._;
      }
      if (isEmpty(obj)) obj = emptyStr;
      const parent = stack[stack.length - 1];
      if (parent) assignOrPush(parent, name, obj);
      else {
        const root: XmlObject = Object.create(null);
        root[name] = obj;
        return root;
      }
    }
  }
  return null;
}
