// Loads config/feeds.yaml, rules.yaml, subscriptions.yaml and the optional settings.yaml and
// sites.yaml,
// validates each against its schema and then across files (unique ids, subscriptions naming
// existing rules, queries that parse).
// Every problem comes back as a ConfigIssue with file:line:column and a fix; none is thrown
// half-way, so `newswatch validate` can list them all.

import { access, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { closest } from 'fastest-levenshtein';
import type { z } from 'zod';
import { parseQuery, QuerySyntaxError, queryWarnings } from '../match/index.js';
import { closestId } from './did-you-mean.js';
import { ConfigError, describeReadError, type ConfigIssue } from './errors.js';
import {
  feedsFileSchema,
  knownKeysAt,
  rulesFileSchema,
  subscriptionsFileSchema,
  type FeedConfig,
  type RuleConfig,
  type SubscriptionConfig,
} from './schema.js';
import { siteRulesSchema, type SiteRule, type SiteRulesFile } from '../extract/site-rules.js';
import { DEFAULT_SETTINGS_FILE, settingsFileSchema, type SettingsFile } from './settings-schema.js';
import { readYaml, type PathKey, type YamlSource } from './yaml-source.js';

export interface Config {
  dir: string;
  feeds: FeedConfig[];
  rules: RuleConfig[];
  subscriptions: SubscriptionConfig[];
  /** From the optional settings.yaml (fetching, politeness, first poll); defaults when absent. */
  settings: SettingsFile;
  /** From the optional sites.yaml: per-site extraction overrides; none when absent. */
  sites: SiteRule[];
}

/** Per feeds list (a reload brings a new one), its feeds by id. */
const feedIndexes = new WeakMap<readonly FeedConfig[], Map<string, FeedConfig>>();

/**
 * The feed with this id, from a map made once per feeds list: every poll, article and delivery
 * asks, and a scan of 10,000 feeds each time was work that grew with the config.
 */
export function feedById(config: Pick<Config, 'feeds'>, id: string): FeedConfig | undefined {
  let index = feedIndexes.get(config.feeds);
  if (!index) {
    index = new Map();
    // The first of two feeds with one id wins, as find did (validation refuses such a config).
    for (const feed of config.feeds) if (!index.has(feed.id)) index.set(feed.id, feed);
    feedIndexes.set(config.feeds, index);
  }
  return index.get(id);
}

export interface LoadResult {
  /** Present only when there is no error (warnings allowed). */
  config?: Config;
  issues: ConfigIssue[];
}

export const CONFIG_FILES = { feeds: 'feeds.yaml', rules: 'rules.yaml', subscriptions: 'subscriptions.yaml' } as const;
/** Optional: absent means every default. */
export const SETTINGS_FILE = 'settings.yaml';
/** Optional: absent means no per-site extraction overrides. */
export const SITES_FILE = 'sites.yaml';

export async function loadConfig(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadResult> {
  const issues: ConfigIssue[] = [];
  const display = (name: string) => {
    const rel = relative(process.cwd(), join(dir, name));
    return rel.startsWith('..') ? join(dir, name) : rel;
  };
  // A wrong --config is one mistake: say it once, not once per file that is not there.
  const dirProblem = await configDirProblem(dir);
  if (dirProblem) return { issues: [{ file: display('.'), line: 1, column: 1, severity: 'error', ...dirProblem }] };

  const feedsSrc = await readSource(join(dir, CONFIG_FILES.feeds), display(CONFIG_FILES.feeds), env, issues);
  const rulesSrc = await readSource(join(dir, CONFIG_FILES.rules), display(CONFIG_FILES.rules), env, issues);
  const subsSrc = await readSource(join(dir, CONFIG_FILES.subscriptions), display(CONFIG_FILES.subscriptions), env, issues);

  const feeds = feedsSrc && validate(feedsSrc, feedsFileSchema, issues)?.feeds;
  const rules = rulesSrc && validate(rulesSrc, rulesFileSchema, issues)?.rules;
  const subscriptions = subsSrc && validate(subsSrc, subscriptionsFileSchema, issues)?.subscriptions;
  const settings = await loadOptional(dir, SETTINGS_FILE, display(SETTINGS_FILE), env, issues, settingsFileSchema, DEFAULT_SETTINGS_FILE);
  const sites = (await loadOptional(dir, SITES_FILE, display(SITES_FILE), env, issues, siteRulesSchema, { sites: [] }, checkSiteHosts(issues)))?.sites;

  // The checks across items and files read the items as written, so that a bad field in one
  // item (an interval, an e-mail address) does not hide a duplicate id or a query error.
  if (feedsSrc) checkUniqueIds(itemsOf(feedsSrc, 'feeds'), 'feeds', 'feed', feedsSrc, issues);
  if (rulesSrc) {
    checkUniqueIds(itemsOf(rulesSrc, 'rules'), 'rules', 'rule', rulesSrc, issues);
    checkQueries(itemsOf(rulesSrc, 'rules'), rulesSrc, issues);
  }
  if (subsSrc) {
    const subs = itemsOf(subsSrc, 'subscriptions');
    checkUniqueIds(subs, 'subscriptions', 'subscription', subsSrc, issues);
    if (rulesSrc) checkRefs(subs, 'rules', idsOf(itemsOf(rulesSrc, 'rules')), subsSrc, issues);
    if (feedsSrc) checkRefs(subs, 'feeds', idsOf(itemsOf(feedsSrc, 'feeds')), subsSrc, issues);
    checkKeywordQueries(subs, subsSrc, issues);
  }

  const ok = !issues.some((i) => i.severity === 'error');
  return {
    config: ok && feeds && rules && subscriptions && settings && sites ? { dir, feeds, rules, subscriptions, settings, sites } : undefined,
    issues,
  };
}

/** For commands that cannot go on with a broken config: throws one error listing every issue. */
export async function loadConfigOrThrow(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  const { config, issues } = await loadConfig(dir, env);
  if (!config) throw new ConfigError(issues.filter((i) => i.severity === 'error'));
  return config;
}

/** A single rules file, as `newswatch match --rules FILE` takes it. */
export async function loadRulesFile(path: string, env: NodeJS.ProcessEnv = process.env): Promise<RuleConfig[]> {
  const issues: ConfigIssue[] = [];
  const src = await readSource(path, path, env, issues);
  const rules = src && validate(src, rulesFileSchema, issues)?.rules;
  if (src) {
    checkUniqueIds(itemsOf(src, 'rules'), 'rules', 'rule', src, issues);
    checkQueries(itemsOf(src, 'rules'), src, issues);
  }
  const errors = issues.filter((i) => i.severity === 'error');
  if (!rules || errors.length > 0) throw new ConfigError(errors);
  return rules;
}

/** Only the optional sites.yaml of a config directory, for `newswatch extract`; [] when absent. */
export async function loadSiteRules(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<SiteRule[]> {
  return (await loadOneOrThrow(dir, SITES_FILE, env, siteRulesSchema, { sites: [] }, checkSiteHosts)).sites;
}

/** Only feeds.yaml of a config directory, for `newswatch extract` (whose feed hosts it may reach); [] when absent. */
export async function loadFeedsFile(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<FeedConfig[]> {
  return (await loadOneOrThrow(dir, CONFIG_FILES.feeds, env, feedsFileSchema, { feeds: [] })).feeds;
}

/** Only the optional settings.yaml of a config directory, for commands that need no feeds or rules; defaults when absent. */
export async function loadSettingsFile(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<SettingsFile> {
  return loadOneOrThrow(dir, SETTINGS_FILE, env, settingsFileSchema, DEFAULT_SETTINGS_FILE);
}

/** One file of a config directory on its own, `absent` when it does not exist; throws a ConfigError on any problem. */
async function loadOneOrThrow<S extends z.ZodType>(
  dir: string,
  name: string,
  env: NodeJS.ProcessEnv,
  schema: S,
  absent: z.output<S>,
  check?: (issues: ConfigIssue[]) => (data: z.output<S>, src: YamlSource) => void,
): Promise<z.output<S>> {
  const issues: ConfigIssue[] = [];
  const file = await loadOptional(dir, name, join(dir, name), env, issues, schema, absent, check?.(issues));
  const errors = issues.filter((i) => i.severity === 'error');
  if (!file || errors.length > 0) throw new ConfigError(errors);
  return file;
}

/** An optional file (settings.yaml, sites.yaml) when present, validated; `absent` when it does not exist. */
async function loadOptional<S extends z.ZodType>(
  dir: string,
  name: string,
  shown: string,
  env: NodeJS.ProcessEnv,
  issues: ConfigIssue[],
  schema: S,
  absent: z.output<S>,
  check?: (data: z.output<S>, src: YamlSource) => void,
): Promise<z.output<S> | undefined> {
  const path = join(dir, name);
  if (!(await access(path).then(() => true, () => false))) return absent;
  const src = await readSource(path, shown, env, issues);
  const data = src && validate(src, schema, issues);
  if (data && src) check?.(data, src);
  return data;
}

/** Two rules for one host would leave the second silently unused. */
const checkSiteHosts = (issues: ConfigIssue[]) => (file: SiteRulesFile, src: YamlSource) =>
  checkUnique(file.sites.map((s) => s.host), ['sites'], 'host', 'site rule for host', 'merge the two rules into one (content and remove together)', src, issues);

/** The fix for every "this is not where the config is" problem. */
const CONFIG_DIR_HINT = 'point --config / NEWSWATCH_CONFIG at your config directory';

/** Why `dir` cannot be a config directory (missing, or a file), or undefined when it is a directory. */
async function configDirProblem(dir: string): Promise<{ message: string; hint: string } | undefined> {
  const hint = `${CONFIG_DIR_HINT} (the repository's config/ is an example to copy)`;
  try {
    if ((await stat(dir)).isDirectory()) return undefined;
    return { message: 'not a directory', hint };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { message: 'config directory not found', hint };
    // Unreadable and the like: each file's read reports it with its own cause.
    return undefined;
  }
}

async function readSource(
  path: string,
  shown: string,
  env: NodeJS.ProcessEnv,
  issues: ConfigIssue[],
): Promise<YamlSource | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const { message, hint } = describeReadError(err);
    issues.push({
      file: shown,
      line: 1,
      column: 1,
      severity: 'error',
      message: code === 'ENOENT' ? 'file not found' : message,
      hint:
        code === 'ENOENT'
          ? `create it (copy the example from the README) or ${CONFIG_DIR_HINT}`
          : code === 'ENOTDIR'
            ? CONFIG_DIR_HINT
            : hint,
    });
    return undefined;
  }
  const src = readYaml(shown, text, env);
  issues.push(...src.issues);
  return src.issues.length === 0 ? src : undefined;
}

function validate<S extends z.ZodType>(src: YamlSource, schema: S, issues: ConfigIssue[]): z.output<S> | undefined {
  const result = schema.safeParse(src.data ?? {});
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const path = issue.path as PathKey[];
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, path);
      for (const key of issue.keys) {
        const guess = known.length > 0 ? closest(key, known) : undefined;
        issues.push(
          src.atKey(
            path,
            key,
            `unknown key "${key}"`,
            guess ? `did you mean "${guess}"? (allowed here: ${known.join(', ')})` : 'remove it',
          ),
        );
      }
    } else {
      const last = path[path.length - 1];
      const field = typeof last === 'string' ? `${last}: ` : '';
      issues.push(src.at(path, `${field}${issue.message}`, hintFor(issue)));
    }
  }
  return undefined;
}

function hintFor(issue: z.core.$ZodIssue): string | undefined {
  if (issue.code === 'invalid_type' && issue.expected === 'array') return 'write a YAML list (lines starting with "- ")';
  if (issue.code === 'invalid_type' && issue.expected === 'boolean') return 'write true or false';
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'add this field';
  return undefined;
}

/** An item of a file's list as written: its fields not yet checked against the schema. */
type Written = Record<string, unknown>;

/** The items of the file's top-level list, valid or not (a non-map item is an empty one). */
function itemsOf(src: YamlSource, list: string): Written[] {
  const items = (src.data as Written | null | undefined)?.[list];
  return Array.isArray(items) ? items.map((item: unknown) => (item !== null && typeof item === 'object' ? (item as Written) : {})) : [];
}

/** A string field as written; undefined when it is missing or not a string. */
const text = (item: Written, key: string): string | undefined => (typeof item[key] === 'string' ? item[key] : undefined);

/** A list of strings as written, by position; undefined in place of anything else. */
const texts = (item: Written, key: string): (string | undefined)[] => (Array.isArray(item[key]) ? item[key].map((v: unknown) => (typeof v === 'string' ? v : undefined)) : []);

const idsOf = (items: Written[]): string[] => items.flatMap((item) => text(item, 'id') ?? []);

/** `rule "ukraine"`, or `rule 3` for the third item when it has no id. */
const named = (what: string, item: Written, i: number): string => {
  const id = text(item, 'id');
  return id === undefined ? `${what} ${i + 1}` : `${what} "${id}"`;
};

function checkUniqueIds(items: Written[], list: string, what: string, src: YamlSource, issues: ConfigIssue[]): void {
  checkUnique(items.map((item) => text(item, 'id')), [list], 'id', `${what} id`, `give each ${what} its own id`, src, issues);
}

/** Reports every value of `key` in the list at `listPath` that an earlier item already has. */
function checkUnique(values: (string | undefined)[], listPath: PathKey[], key: string, what: string, fix: string, src: YamlSource, issues: ConfigIssue[]): void {
  const first = new Map<string, number>();
  values.forEach((value, i) => {
    if (value === undefined) return;
    const earlier = first.get(value);
    if (earlier === undefined) first.set(value, i);
    else issues.push(src.at([...listPath, i, key], `duplicate ${what} "${value}" (also item ${earlier + 1})`, fix));
  });
}

function checkQueries(rules: Written[], src: YamlSource, issues: ConfigIssue[]): void {
  rules.forEach((rule, i) => {
    const parts: [PathKey[], string | undefined][] = [[['rules', i, 'query'], text(rule, 'query')]];
    for (const list of ['all', 'any', 'none'] as const) {
      texts(rule, list).forEach((q, j) => parts.push([['rules', i, list, j], q]));
    }
    for (const [path, query] of parts) checkQuery(query, named('rule', rule, i), path, src, issues);
  });
}

function checkKeywordQueries(subs: Written[], src: YamlSource, issues: ConfigIssue[]): void {
  subs.forEach((sub, i) => {
    checkQuery(text(sub, 'keywords'), `${named('subscription', sub, i)} keywords`, ['subscriptions', i, 'keywords'], src, issues);
  });
}

/** A query's syntax error or warnings; an empty or missing one is the schema's to report. */
function checkQuery(query: string | undefined, owner: string, path: PathKey[], src: YamlSource, issues: ConfigIssue[]): void {
  if (query === undefined || query.trim() === '') return;
  let tree;
  try {
    tree = parseQuery(query);
  } catch (err) {
    if (!(err instanceof QuerySyntaxError)) throw err;
    issues.push(src.atOffsetIn(path, err.offset, `${owner}: ${err.message}`, err.hint));
    return;
  }
  for (const w of queryWarnings(tree, query)) {
    issues.push(w.offset === undefined ? src.at(path, `${owner}: ${w.message}`, undefined, 'warning') : src.atOffsetIn(path, w.offset, `${owner}: ${w.message}`, undefined, 'warning'));
  }
}

/** Subscriptions' references (`rules:` or `feeds:`) must name ids the other file defines. */
function checkRefs(subs: Written[], list: 'rules' | 'feeds', ids: string[], src: YamlSource, issues: ConfigIssue[]): void {
  const what = list === 'rules' ? 'rule' : 'feed';
  subs.forEach((sub, i) => {
    texts(sub, list).forEach((ref, j) => {
      if (ref === undefined || ids.includes(ref)) return;
      const guess = closestId(ref, ids);
      issues.push(
        src.at(
          ['subscriptions', i, list, j],
          `${named('subscription', sub, i)} names ${what} "${ref}", which ${list}.yaml does not define`,
          guess ? `did you mean "${guess}"?` : `add the ${what} to ${list}.yaml or remove it here`,
        ),
      );
    });
  });
}
