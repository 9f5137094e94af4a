// Edits config YAML in place through the yaml Document API, so comments, order and formatting
// stay as they were: the shared first step of every command that appends to a config list.

import { isScalar, isSeq, parseDocument, YAMLSeq, type Document } from 'yaml';

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
