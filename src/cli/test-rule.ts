// `newswatch test-rule RULE_ID --feed URL|FILE|FEED_ID` (or `--query '…'` instead of a rule id):
// for each item of a feed, whether the rule matches and why (the hits, or the conjuncts that
// fail), without Redis and without sending anything. `--json` prints one JSON line per item.
// `--recent` instead of `--feed` tries the recent articles of every feed kept in Redis (the ones
// the subscribe page previews on), newest first.

import { stat } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { keywordRules } from '../alerts/subscriptions.js';
import { closestId } from '../config/did-you-mean.js';
import { loadConfigOrThrow, type Config } from '../config/load.js';
import { matchInputOf, withPage, type Article } from '../feeds/article.js';
import { addressPolicy } from '../feeds/address-guard.js';
import { readArticlePage } from '../feeds/article-page.js';
import { normaliseFeed } from '../feeds/normalise.js';
import { withDom } from '../feeds/html-dom.js';
import { parseFeed } from '../feeds/parse.js';
import {
  compileRule,
  evaluateRule,
  formatQueryError,
  lintQuery,
  prepareArticle,
  RuleCompileError,
  unmetClauses,
  type Hit,
  type RuleSpec,
  type UnmetClause,
} from '../match/index.js';
import { RecentArticles } from '../feeds/recent-articles.js';
import { defaultSettings, type Settings } from '../queue/context.js';
import { RedisKeys } from '../queue/keys.js';
import { connect, isClusterUrl, resolveRedis } from '../queue/redis.js';
import { Sandbox } from '../sandbox/pool.js';
import { CliError } from './common.js';
import { readSource } from './source.js';

export interface TestRuleOptions {
  ruleId?: string;
  query?: string;
  feed?: string;
  /** Instead of a feed: the recent articles kept in Redis. */
  recent?: boolean;
  /** Where a managed Redis keeps its data ($NEWSWATCH_DATA), for --recent. */
  dataDir?: string;
  json: boolean;
  /** Fetch and extract each item's page first, as the pipeline does for `fetchArticle: true`. */
  fetchArticles: boolean;
  configDir: string;
}

interface ItemResult {
  article: Article;
  matched: boolean;
  hits: Hit[];
  unmet: UnmetClause[];
  /** Why the page could not be used, when it was asked for. */
  pageError?: string;
}

export async function testRuleCommand(o: TestRuleOptions, env: NodeJS.ProcessEnv, out: Writable, err: Writable): Promise<number> {
  if (!o.feed && !o.recent) throw new CliError('test-rule needs --feed URL|FILE|FEED_ID (the feed whose items the rule is tried on) or --recent', 2);
  if (o.feed && o.recent) throw new CliError('give test-rule either --feed or --recent, not both', 2);
  if (o.ruleId !== undefined && o.query !== undefined) throw new CliError('give test-rule either a RULE_ID or --query \'…\', not both', 2);
  if (o.ruleId === undefined && o.query === undefined) throw new CliError('test-rule needs a RULE_ID from rules.yaml, or --query \'…\'', 2);

  // The config is read only when needed: a rule id, or a feed given by its id.
  let config: Config | undefined;
  const configOnce = async () => (config ??= await loadConfigOrThrow(o.configDir, env));
  const { spec, name } = o.query !== undefined ? { spec: { id: 'query', query: o.query }, name: undefined } : findRule(await configOnce(), o.ruleId!);
  const rule = compile(spec);
  for (const q of [spec.query, ...(spec.all ?? []), ...(spec.any ?? []), ...(spec.none ?? [])]) {
    for (const warning of q === undefined ? [] : lintQuery(q)) err.write(`warning: ${warning}\n`);
  }

  if (o.recent) {
    const settings = defaultSettings(env, (await configOnce()).settings);
    const items = await recentArticles(settings, env, o.dataDir ?? 'data');
    const heading = 'Recent articles kept in Redis';
    return report(o, spec, rule, name, heading, items, out);
  }

  const source = await feedSource(o.feed!, configOnce);
  const settings = defaultSettings(env, config?.settings);
  const { text, url } = await readSource(source.target, settings.feedMaxBytes);
  const feedUrl = url ?? source.url ?? 'http://localhost/';
  const parsed = await parseFeed(text, source.target);
  const articles = await withDom(() => normaliseFeed(parsed, { id: source.feedId ?? 'cli', url: feedUrl }));
  const fetchPages = o.fetchArticles || source.fetchArticle;

  const items: Item[] = [];
  // Pages are parsed in sandbox threads, as the article worker parses them.
  const sandbox = fetchPages ? new Sandbox(settings.parsing) : undefined;
  // As in the worker, items may not lead to private addresses other than the feeds' own hosts.
  const ownUrl = url ?? source.url;
  const guard = addressPolicy([...(config?.feeds ?? []), ...(ownUrl ? [{ url: ownUrl }] : [])], settings.allowAddresses);
  for (let article of articles) {
    let pageError: string | undefined;
    if (sandbox && article.url) {
      try {
        article = withPage(article, await readArticlePage(article.url, { settings, siteRules: config?.sites ?? [], sandbox, guard }));
      } catch (e) {
        pageError = (e as Error).message;
      }
    }
    items.push({ article, tags: source.tags, pageError });
  }
  await sandbox?.close();
  const heading = `Feed ${source.url ?? source.target}${parsed.title ? ` (${parsed.title})` : ''}`;
  return report(o, spec, rule, name, heading, items, out);
}

interface Item {
  article: Article;
  tags?: string[];
  pageError?: string;
}

function report(o: TestRuleOptions, spec: RuleSpec, rule: ReturnType<typeof compile>, name: string | undefined, heading: string, items: Item[], out: Writable): number {
  const results: ItemResult[] = [];
  for (const { article, tags, pageError } of items) {
    const prepared = prepareArticle(matchInputOf(article, tags));
    const match = evaluateRule(rule, prepared);
    const result: ItemResult = { article, matched: match !== null, hits: match?.hits ?? [], unmet: match ? [] : unmetClauses(spec, prepared), pageError };
    results.push(result);
    if (o.json) out.write(`${JSON.stringify(jsonLine(result))}\n`);
  }
  if (!o.json) out.write(renderReport(spec, name, heading, results));
  return 0;
}

/** The recent articles kept in Redis, newest first. */
async function recentArticles(settings: Settings, env: NodeJS.ProcessEnv, dataDir: string): Promise<Item[]> {
  const target = await resolveRedis(env, dataDir);
  const redis = connect(target.url);
  try {
    const kept = await new RecentArticles(redis, new RedisKeys(settings.prefix, isClusterUrl(target.url)), settings.recent).since();
    return kept.reverse().map(({ feedTags, keptAt: _keptAt, ...input }) => ({ article: { ...input, feed: input.feed ?? '' }, tags: feedTags }));
  } finally {
    redis.disconnect();
    await target.managed?.stop();
  }
}

function compile(spec: RuleSpec) {
  try {
    return compileRule(spec);
  } catch (e) {
    if (e instanceof RuleCompileError && spec.query !== undefined && e.source === 'query') {
      throw new CliError(`the query does not parse: ${formatQueryError(spec.query, e.cause)}`, 2);
    }
    throw e;
  }
}

function findRule(config: Config, id: string): { spec: RuleSpec; name?: string } {
  const rule = config.rules.find((r) => r.id === id);
  if (rule) return { spec: rule, name: rule.name };
  // A subscription's inline `keywords:` is a rule too; its id or `keywords:<id>` finds it.
  const keywords = keywordRules(config.subscriptions).find((r) => r.id === id || r.id === `keywords:${id}`);
  if (keywords) return { spec: keywords, name: `keywords of subscription ${keywords.id.slice('keywords:'.length)}` };
  const ids = config.rules.map((r) => r.id);
  const guess = closestId(id, ids);
  const list = ids.length > 0 ? `; the rules are: ${ids.join(', ')}` : '; rules.yaml has no rules';
  throw new CliError(`no rule "${id}" in ${config.dir}/rules.yaml${guess ? ` (did you mean "${guess}"?)` : ''}${list}`, 2);
}

interface FeedSource {
  /** What readSource reads: a file path or a URL. */
  target: string;
  url?: string;
  feedId?: string;
  tags?: string[];
  fetchArticle: boolean;
}

/** A URL or a file is read as it is; any other value names a feed of feeds.yaml. */
async function feedSource(feed: string, config: () => Promise<Config>): Promise<FeedSource> {
  if (/^https?:\/\//i.test(feed)) return { target: feed, url: feed, fetchArticle: false };
  if (await isFile(feed)) return { target: feed, fetchArticle: false };
  const feeds = (await config()).feeds;
  const found = feeds.find((f) => f.id === feed);
  if (!found) {
    const guess = closestId(feed, feeds.map((f) => f.id));
    throw new CliError(`--feed "${feed}" is not a URL, a file or a feed id in feeds.yaml${guess ? ` (did you mean "${guess}"?)` : ''}`, 2);
  }
  return { target: found.url, url: found.url, feedId: found.id, tags: found.tags, fetchArticle: found.fetchArticle };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function jsonLine(r: ItemResult) {
  const { article: a } = r;
  return { item: a.id, title: a.title, url: a.url, published: a.published, matched: r.matched, hits: r.hits, unmet: r.unmet, pageError: r.pageError };
}

// ---- the human report (pure) ----

const CONTEXT = 30;
/** How far past CONTEXT a cut may move to reach a word boundary. */
const SLACK = 15;

/**
 * The words around a hit on one line, the hit in [brackets]: about CONTEXT characters each
 * side, cut at a word boundary (no half words; an ellipsis where text is left out). Only a word
 * longer than the slack (a URL, text without spaces) is cut inside.
 */
export function hitContext(text: string, start: number, end: number): string {
  let from = Math.max(0, start - CONTEXT);
  if (from > 0 && /\S/.test(text[from - 1]!) && /\S/.test(text[from]!)) {
    // Back to the start of the word, or forward past it, whichever is within reach.
    const back = text.slice(Math.max(0, from - SLACK), from).search(/\S*$/);
    const wordStart = Math.max(0, from - SLACK) + back;
    if (wordStart > 0 && /\s/.test(text[wordStart - 1]!)) from = wordStart;
    else if (wordStart === 0) from = 0;
    else {
      const forward = text.slice(from, start).search(/\s/);
      if (forward !== -1) from += forward + 1;
    }
  }
  let to = Math.min(text.length, end + CONTEXT);
  if (to < text.length && /\S/.test(text[to]!) && /\S/.test(text[to - 1]!)) {
    const ahead = text.slice(to, to + SLACK).search(/\s/);
    if (ahead !== -1) to += ahead;
    else if (to + SLACK >= text.length) to = text.length;
    else {
      const back = text.slice(end, to).search(/\s\S*$/);
      if (back !== -1) to = end + back;
    }
  }
  const flat = (s: string) => s.replace(/\s+/g, ' ');
  return `${from > 0 ? '… ' : ''}${flat(text.slice(from, start)).trimStart()}[${flat(text.slice(start, end))}]${flat(text.slice(end, to)).trimEnd()}${to < text.length ? ' …' : ''}`;
}

function fieldText(article: Article, field: Hit['field']): string | undefined {
  switch (field) {
    case 'title':
    case 'summary':
    case 'content':
    case 'url':
      return article[field];
    case 'site':
      return article.url;
    case 'feed':
      return undefined;
    case 'lang':
      return article.language;
  }
}

/**
 * The report's hit lines: each place in the text once, under every term that found it (`kyiv`
 * and `kyiv*` hit the same word), then one line per terms and field at its first place, since
 * long articles repeat words many times.
 */
function hitLines(hits: Hit[]): { terms: string; field: Hit['field']; first: Hit; more: number }[] {
  const places = new Map<string, { hit: Hit; terms: string[] }>();
  for (const h of hits) {
    const key = `${h.field}\u0000${h.start}\u0000${h.end}`;
    const place = places.get(key);
    if (!place) places.set(key, { hit: h, terms: [h.term] });
    else if (!place.terms.includes(h.term)) place.terms.push(h.term);
  }
  const groups = new Map<string, { terms: string; field: Hit['field']; first: Hit; more: number }>();
  for (const { hit, terms } of places.values()) {
    const key = `${terms.join(', ')}\u0000${hit.field}`;
    const group = groups.get(key);
    if (group) group.more++;
    else groups.set(key, { terms: terms.join(', '), field: hit.field, first: hit, more: 0 });
  }
  return [...groups.values()];
}

export function renderReport(spec: RuleSpec, name: string | undefined, heading: string, results: ItemResult[]): string {
  const lines: string[] = [];
  lines.push(`Rule ${spec.id}${name ? ` (${name})` : ''}`);
  if (spec.query !== undefined) lines.push(`  query: ${spec.query}`);
  for (const key of ['all', 'any', 'none'] as const) for (const q of spec[key] ?? []) lines.push(`  ${key}: ${q}`);
  const matched = results.filter((r) => r.matched).length;
  lines.push(`${heading}: ${results.length} items, ${matched} match`, '');
  for (const r of results) {
    const a = r.article;
    lines.push(`${r.matched ? 'MATCH' : 'no   '}  ${a.title ?? '(no title)'}`);
    if (a.url) lines.push(`       ${a.url}`);
    if (r.pageError) lines.push(`       page not used: ${r.pageError}`);
    for (const { terms, field, first, more } of hitLines(r.hits)) {
      const text = fieldText(a, field);
      const where = text === undefined ? '' : `  ${hitContext(text, first.start, first.end)}`;
      lines.push(`       ${terms.padEnd(16)} ${field.padEnd(8)}${where}${more > 0 ? `  (+${more} more)` : ''}`);
    }
    // A rule of one clause that is simply missing says nothing the "no" does not.
    const wholeQueryMissing = r.unmet.length === 1 && r.unmet[0]!.kind === 'missing' && r.unmet[0]!.clause === spec.query?.trim() && !spec.all && !spec.any && !spec.none;
    if (wholeQueryMissing) continue;
    for (const u of r.unmet) lines.push(`       ${u.kind === 'missing' ? 'missing' : 'excluded by'}: ${u.clause}${u.part === 'query' ? '' : `  (${u.part})`}`);
  }
  return `${lines.join('\n')}\n`;
}
