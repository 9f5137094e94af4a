// A parsed feed's texts (title, summary, content of each item) kept by the parsing thread in one
// SharedArrayBuffer, so that a later task on the same items (finding their words) reads them
// there instead of the main thread posting them again: V8's serializer costs the main thread
// about 8 ns a character (16 µs for an article of 2,000), a shared buffer nothing. Rules:
// - Layout: Uint32 header [items, then per item: start of its texts (UTF-16 code units from the
//   data), title, summary and content lengths], then the texts as UTF-16.
// - An item carries its reference under a symbol (JSON leaves it out) with the very strings it
//   was made of, and it counts only while the item's texts are those strings.

export const SHARED_TEXTS: unique symbol = Symbol('newswatch.sharedTexts');

/** Where an item's texts are in a shared buffer. */
export interface SharedTextsRef {
  buffer: SharedArrayBuffer;
  index: number;
}

interface Attached extends SharedTextsRef {
  texts: readonly [string, string, string];
}

/** What has texts to share. */
export interface TextHolder {
  title?: string;
  summary?: string;
  content?: string;
  [SHARED_TEXTS]?: Attached;
}

const textsOf = (item: TextHolder): [string, string, string] => [item.title ?? '', item.summary ?? '', item.content ?? ''];

/** The items' texts in one shared buffer (in a parsing thread). */
export function shareTexts(items: readonly TextHolder[]): SharedArrayBuffer {
  const all = items.map(textsOf);
  let units = 0;
  for (const [t, s, c] of all) units += t.length + s.length + c.length;
  const headerBytes = 4 * (1 + 4 * all.length);
  const buffer = new SharedArrayBuffer(headerBytes + 2 * units);
  const header = new Uint32Array(buffer, 0, 1 + 4 * all.length);
  const bytes = Buffer.from(buffer);
  header[0] = all.length;
  let at = 0;
  all.forEach((texts, i) => {
    header[1 + 4 * i] = at;
    texts.forEach((text, k) => {
      header[2 + 4 * i + k] = text.length;
      bytes.write(text, headerBytes + 2 * at, 'utf16le');
      at += text.length;
    });
  });
  return buffer;
}

/** Title, summary and content of item `index` of a shared buffer (in a parsing thread). */
export function readSharedTexts({ buffer, index }: SharedTextsRef): [string, string, string] {
  const header = new Uint32Array(buffer, 0, 1);
  const items = header[0]!;
  if (index >= items) throw new Error(`shared texts: no item ${index} of ${items}`);
  const row = new Uint32Array(buffer, 4 * (1 + 4 * index), 4);
  const bytes = Buffer.from(buffer);
  let at = 4 * (1 + 4 * items) + 2 * row[0]!;
  const out: string[] = [];
  for (let k = 1; k <= 3; k++) {
    const end = at + 2 * row[k]!;
    out.push(bytes.toString('utf16le', at, end));
    at = end;
  }
  return out as [string, string, string];
}

/** Gives each of `items` (those the buffer was made from, in order) its reference (on the main thread). */
export function attachSharedTexts(items: TextHolder[], buffer: SharedArrayBuffer): void {
  items.forEach((item, index) => {
    item[SHARED_TEXTS] = { buffer, index, texts: textsOf(item) };
  });
}

/** The item's reference, when its texts are still the very ones shared. */
export function sharedTextsOf(item: TextHolder): SharedTextsRef | undefined {
  const ref = item[SHARED_TEXTS];
  if (ref === undefined) return undefined;
  const [t, s, c] = ref.texts;
  return t === (item.title ?? '') && s === (item.summary ?? '') && c === (item.content ?? '') ? { buffer: ref.buffer, index: ref.index } : undefined;
}
