// Edits config YAML in place through the yaml Document API, so comments, order and formatting
// stay as they were: the shared first step of every command that appends to a config list.

import { Document, isScalar, isSeq, parseDocument, YAMLSeq, type YAMLMap } from 'yaml';

/** The document, or an error telling the user to fix the file first. */
export function editableDocument(text: string, key: string, file: string): Document {
  const doc = parseDocument(text.trim() ? text : `${key}: []\n`);
  if (doc.errors.length > 0) throw new Error(`${file}: cannot edit, the YAML does not parse: ${doc.errors[0]?.message}; fix it (newswatch validate) first`);
  return doc;
}

/** The top-level list under `key`, created when absent or empty; block style once it has items. */
export function topLevelList(doc: Document, key: string, file: string): YAMLSeq {
  const list = doc.get(key, true);
  if (isSeq(list)) return list;
  if (list !== undefined && list !== null && !(isScalar(list) && list.value === null)) {
    throw new Error(`${file}: \`${key}:\` is not a list; fix it (newswatch validate) first`);
  }
  const seq = new YAMLSeq();
  doc.set(key, seq);
  return seq;
}

export interface NewEntry {
  value: Record<string, unknown>;
  /** A comment line written above the entry. */
  comment?: string;
}

/**
 * The text with `entries` appended to its top-level list `key`. Entries already in the file are
 * not touched at all: when the list is a block list with items, the new entries are inserted as
 * text after its last item, in its indentation, and every other byte stays as it was (the yaml
 * library would re-print the whole file, turning `[a]` into `[ a ]`). Only a list that is absent,
 * empty or in flow style is re-printed. `flowLists`: lists of scalars inside the new entries are
 * written `[a, b]`.
 */
export function appendEntries(text: string, key: string, entries: NewEntry[], file: string, flowLists = false): string {
  const doc = editableDocument(text, key, file);
  const seq = topLevelList(doc, key, file);
  if (entries.length === 0) return text;
  const nodes = entries.map((entry) => {
    const node = doc.createNode(entry.value) as YAMLMap;
    if (entry.comment) node.commentBefore = entry.comment;
    if (flowLists) for (const pair of node.items) if (isSeq(pair.value) && pair.value.items.every(isScalar)) pair.value.flow = true;
    return node;
  });
  const [start, end] = seq.range ?? [0, 0];
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const indent = text.slice(lineStart, start);
  if (!seq.flow && seq.items.length > 0 && /^ *$/.test(indent)) {
    const list = new YAMLSeq();
    list.items = nodes;
    const block = new Document(list)
      .toString({ flowCollectionPadding: false })
      .split('\n')
      .map((line) => (line === '' ? line : indent + line))
      .join('\n');
    const before = text.slice(0, end);
    return `${before}${before.endsWith('\n') ? '' : '\n'}${block}${text.slice(end)}`;
  }
  for (const node of nodes) seq.add(node);
  seq.flow = false;
  return doc.toString({ flowCollectionPadding: false });
}
