// A YAML file kept together with its source positions, so that every later check (schema,
// cross-references, query syntax) can point at file:line:column. `${VAR}` and
// `${VAR:-default}` in string values are replaced from the environment here.

import { isCollection, isMap, isScalar, LineCounter, parseDocument, visit, type Document, type Node, type Scalar, type YAMLError } from 'yaml';
import type { ConfigIssue } from './errors.js';

export type PathKey = string | number;

export interface YamlSource {
  file: string;
  text: string;
  data: unknown;
  issues: ConfigIssue[];
  /** Position of the value at path (or the nearest parent that exists). */
  at(path: readonly PathKey[], message: string, hint?: string, severity?: ConfigIssue['severity']): ConfigIssue;
  /** Position of a key inside the map at path (for unknown keys). */
  atKey(path: readonly PathKey[], key: string, message: string, hint?: string): ConfigIssue;
  /** Position of a character offset inside the string scalar at path (for query syntax errors). */
  atOffsetIn(path: readonly PathKey[], offset: number, message: string, hint?: string, severity?: ConfigIssue['severity']): ConfigIssue;
}

/**
 * Syntax errors listed per file. A mangled file can have thousands (one per stray bracket), and
 * each names a line: past the first few they repeat the first mistake's consequences.
 */
const MAX_SYNTAX_ISSUES = 20;
/** A line longer than this is shown only around the column, this many characters each side. */
const EXCERPT_MAX = 200;
const EXCERPT_CONTEXT = 80;

/**
 * The offending line with a caret under the column; a long line is cut to the part around the
 * column (a one-line file of thousands of characters gave every issue a copy of all of it).
 */
function excerptAt(source: string, col: number): string {
  if (source.length <= EXCERPT_MAX) return `  ${source}\n  ${' '.repeat(Math.max(0, col - 1))}^`;
  const start = Math.max(0, col - 1 - EXCERPT_CONTEXT);
  const end = Math.min(source.length, col - 1 + EXCERPT_CONTEXT);
  const before = start > 0 ? '…' : '';
  const shown = `${before}${source.slice(start, end)}${end < source.length ? '…' : ''}`;
  return `  ${shown}\n  ${' '.repeat(Math.max(0, col - 1 - start + before.length))}^`;
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function readYaml(file: string, text: string, env: NodeJS.ProcessEnv): YamlSource {
  try {
    return readYamlDocument(file, text, env);
  } catch (err) {
    // The yaml library parses and walks nested collections recursively: thousands of levels
    // ("- - - - …", a fuzz find) overflow the stack. No config needs more than a few.
    if (!(err instanceof RangeError) || !/call stack/i.test(err.message)) throw err;
    const issue: ConfigIssue = {
      file,
      line: 1,
      column: 1,
      message: 'the YAML nests lists or maps too deeply to be read (thousands of levels)',
      hint: 'a config file needs a few levels of indentation; look for a long run of "- ", "[" or "{"',
      severity: 'error',
    };
    return { file, text, data: undefined, issues: [issue], at: () => issue, atKey: () => issue, atOffsetIn: () => issue };
  }
}

function readYamlDocument(file: string, text: string, env: NodeJS.ProcessEnv): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lines = text.split(/\r?\n/);

  const issueAt = (
    offset: number,
    message: string,
    hint?: string,
    severity: ConfigIssue['severity'] = 'error',
  ): ConfigIssue => {
    const { line, col } = lineCounter.linePos(offset);
    const source = lines[line - 1];
    return { file, line, column: col, message, hint, excerpt: source === undefined ? undefined : excerptAt(source, col), severity };
  };

  const syntax = 'check the YAML syntax at this point (indentation, quotes, a missing ":")';
  const issues: ConfigIssue[] = doc.errors
    .slice(0, MAX_SYNTAX_ISSUES)
    .map((e) => unclosedQuote(doc, e, issueAt) ?? issueAt(e.pos[0], e.message.split('\n')[0] ?? e.message, syntax));
  const more = doc.errors.length - MAX_SYNTAX_ISSUES;
  if (more > 0) issues.push(issueAt(doc.errors[MAX_SYNTAX_ISSUES]!.pos[0], `${more} more YAML syntax errors from here on are not listed`, 'fix the ones above first: one mistake often causes the rest'));

  if (issues.length === 0) collectionKeys(doc, issues, issueAt);
  if (issues.length === 0) unresolvedAliases(doc, issues, issueAt);
  if (issues.length === 0) interpolateEnv(doc, env, issues, issueAt);
  let data: unknown;
  if (issues.length === 0) {
    try {
      data = doc.toJS();
    } catch (err) {
      // The yaml library refuses a document whose aliases expand too far (a "billion laughs").
      issues.push(issueAt(0, (err as Error).message, 'write the values out instead of repeating them through anchors (&name) and aliases (*name)'));
    }
  }

  const nodeAt = (path: readonly PathKey[]): Node | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
      if (node && typeof node === 'object' && 'range' in node && node.range) return node as Node;
    }
    return undefined;
  };

  return {
    file,
    text,
    data,
    issues,
    at(path, message, hint, severity) {
      return issueAt(nodeAt(path)?.range?.[0] ?? 0, message, hint, severity);
    },
    atKey(path, key, message, hint) {
      const map = nodeAt(path);
      if (isMap(map)) {
        const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
        if (pair && isScalar(pair.key) && pair.key.range) return issueAt(pair.key.range[0], message, hint);
      }
      return issueAt(map?.range?.[0] ?? 0, message, hint);
    },
    atOffsetIn(path, offset, message, hint, severity) {
      const node = nodeAt(path);
      if (!isScalar(node) || !node.range) return issueAt(node?.range?.[0] ?? 0, message, hint, severity);
      // Quoted scalars start one character before their value. Block scalars and escapes make
      // the mapping approximate, which is still the right line.
      const quote = node.type === 'QUOTE_SINGLE' || node.type === 'QUOTE_DOUBLE' ? 1 : 0;
      return issueAt(node.range[0] + quote + offset, message, hint, severity);
    },
  };
}

/**
 * YAML finds a missing closing quote where the file (or the flow collection) ends; the mistake
 * is where the quoted value opens, so the issue points there.
 */
function unclosedQuote(doc: Document, e: YAMLError, issueAt: (offset: number, message: string, hint?: string) => ConfigIssue): ConfigIssue | undefined {
  if (e.code !== 'MISSING_CHAR' || !/^Missing closing ["']quote/.test(e.message)) return undefined;
  let open: Scalar | undefined;
  visit(doc, {
    Scalar(_key, node) {
      const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
      if (quoted && node.range && node.range[0] < e.pos[0] && node.range[1] >= e.pos[0] && (!open || node.range[0] > open.range![0])) open = node;
    },
  });
  if (!open) return undefined;
  const q = open.type === 'QUOTE_DOUBLE' ? '"' : "'";
  const other = q === '"' ? "'" : '"';
  return issueAt(
    open.range![0],
    `this ${q} quote is never closed, so YAML reads the rest of the file into this value`,
    `add the closing ${q} at the end of the value; for ${q} inside a value, quote it with ${other} instead (query: ${other}${q}peace talks${q} ukraine${other})`,
  );
}

/**
 * A list or map used as a key (`{}: x`, `? [a, b]`): valid YAML, but no config key is one, and
 * turning it into an object key would only make a Node warning on stderr ("Keys with collection
 * values will be stringified"), found by fuzzing (issue 13).
 */
function collectionKeys(doc: Document, issues: ConfigIssue[], issueAt: (offset: number, message: string, hint?: string) => ConfigIssue): void {
  visit(doc, {
    Pair(_key, pair) {
      const hint = 'keys are plain names such as "id:" or "url:"; check the indentation, or quote the text if it is meant as a key';
      if (isCollection(pair.key)) issues.push(issueAt(pair.key.range?.[0] ?? 0, 'a list or map is used as a key here', hint));
      // A tagged scalar read as an object (`!!binary …` is bytes) is stringified with a process
      // warning, as a collection would be (a fuzz find).
      else if (isScalar(pair.key) && typeof pair.key.value === 'object' && pair.key.value !== null) issues.push(issueAt(pair.key.range?.[0] ?? 0, `a ${pair.key.tag?.replace('tag:yaml.org,2002:', '!!') ?? 'tagged'} value is used as a key here`, hint));
    },
  });
}

/**
 * An alias (`*name`) whose anchor (`&name`) does not come before it: the yaml library parses it
 * and throws only when the values are read, which stopped validate and start with a stack trace;
 * found by fuzzing (issue 13).
 */
function unresolvedAliases(doc: Document, issues: ConfigIssue[], issueAt: (offset: number, message: string, hint?: string) => ConfigIssue): void {
  visit(doc, {
    Alias(_key, alias) {
      if (alias.resolve(doc)) return;
      issues.push(issueAt(alias.range?.[0] ?? 0, `the alias *${alias.source} has no anchor &${alias.source} before it`, `put &${alias.source} on the value to repeat, above this line, or write the value out`));
    },
  });
}

function interpolateEnv(
  doc: Document,
  env: NodeJS.ProcessEnv,
  issues: ConfigIssue[],
  issueAt: (offset: number, message: string, hint?: string) => ConfigIssue,
): void {
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== 'string' || !node.value.includes('${')) return;
      node.value = node.value.replace(ENV_REF, (_m, name: string, fallback: string | undefined) => {
        const value = env[name];
        if (value !== undefined && value !== '') return value;
        if (fallback !== undefined) return fallback;
        issues.push(
          issueAt(
            node.range?.[0] ?? 0,
            `environment variable ${name} is not set`,
            `export ${name}=… before starting, or write \${${name}:-default} to give a default`,
          ),
        );
        return '';
      });
    },
  });
}

