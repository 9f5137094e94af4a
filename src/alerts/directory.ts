// The subscription directory: the one place workers, the web and the CLI look subscriptions
// and rules up, whether they come from the YAML config or from Redis (subscription-store.ts).
// Its rules:
// - YAML entries are fixed for the life of the process; Redis entries are loaded once, then
//   followed through the store's change stream (a blocking XREAD on a connection of its own), so
//   a confirmed, changed or deleted subscription takes effect here within a moment of the write,
//   without reading the whole set again. After a lost connection everything is reloaded once.
// - A YAML entry wins over a Redis entry with the same id (which the store's callers prevent).
// - The rule index holds every rule and every subscription's keyword rule; a change adds or
//   removes only the rules it touches. A stored query that no longer compiles is logged and left
//   out, never stopping the rest.
// - Lookups are synchronous reads of memory; `ready` resolves once the first load is done.

import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import type { RuleConfig, SubscriptionConfig } from '../config/schema.js';
import { compileRule, RuleIndex, type RuleSpec } from '../match/index.js';
import type { RedisKeys } from '../queue/keys.js';
import type { RedisClient } from '../queue/redis.js';
import { keywordRuleId, subscriptionOfKeywordRule, subscriptionRuleIds } from './subscriptions.js';
import { SubscriptionStore, type DirectoryChange, type StoredRule, type StoredSubscription } from './subscription-store.js';

export type Source = 'yaml' | 'redis';

export type Subscription = SubscriptionConfig & Partial<Omit<StoredSubscription, keyof SubscriptionConfig>> & { source: Source };
export type DirectoryRule = RuleConfig & { createdAt?: string; source: Source };

export interface DirectoryOptions {
  config: Config;
  /** Commands; a second connection is opened from it for the blocking reads. */
  redis: RedisClient;
  keys: RedisKeys;
  log: Logger;
  /** Told of the connection opened for the blocking reads (the pipeline's outage log follows it). */
  watch?: (connection: RedisClient) => void;
}

export class SubscriptionDirectory {
  readonly ready: Promise<void>;
  private readonly store: SubscriptionStore;
  private readonly subs = new Map<string, Subscription>();
  private readonly ruleMap = new Map<string, DirectoryRule>();
  /** Rule id → ids of the subscriptions listening to it. */
  private readonly listeners = new Map<string, Set<string>>();
  /** Subscription id → position in directory order. */
  private readonly order = new Map<string, number>();
  private nextOrder = 0;
  /** Every rule in the index, by id (rules and keyword rules). */
  private readonly specs = new Map<string, RuleSpec>();
  private built: RuleIndex | undefined;
  private lastBuildMs: number | undefined;
  private readonly reader: RedisClient;
  private closed = false;
  private following: Promise<void> | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly options: DirectoryOptions) {
    this.store = new SubscriptionStore(options.redis, options.keys);
    for (const rule of options.config.rules) this.putRule({ ...rule, source: 'yaml' });
    for (const sub of options.config.subscriptions) this.putSubscription({ ...sub, source: 'yaml' });
    this.reader = options.redis.duplicate();
    options.watch?.(this.reader);
    this.ready = this.load().then((from) => {
      this.following = this.follow(from);
    });
  }

  /** Matches articles against every rule and keyword rule known now. */
  get index(): RuleIndex {
    // Until RuleIndex takes single additions and removals, a change marks the index stale and
    // the next match rebuilds it from the compiled specs.
    if (!this.built) {
      const started = performance.now();
      this.built = RuleIndex.build([...this.specs.values()]);
      this.lastBuildMs = performance.now() - started;
    }
    return this.built;
  }

  /**
   * Takes the rules and subscriptions of a reloaded config: YAML entries no longer there are
   * removed, changed ones replaced, new ones added; entries kept in Redis stay as they are.
   */
  replaceYaml(config: Config): void {
    for (const [id, sub] of this.subs) if (sub.source === 'yaml') this.removeSubscription(id);
    for (const [id, rule] of this.ruleMap) if (rule.source === 'yaml') this.removeRule(id);
    for (const rule of config.rules) {
      this.removeRule(rule.id);
      this.putRule({ ...rule, source: 'yaml' });
    }
    for (const sub of config.subscriptions) {
      this.removeSubscription(sub.id);
      this.putSubscription({ ...sub, source: 'yaml' });
    }
  }

  /** Rules in the index and how long its last full build took (for /metrics). */
  indexStats(): { rules: number; buildMs?: number } {
    return { rules: this.specs.size, buildMs: this.lastBuildMs };
  }

  subscription(id: string): Subscription | undefined {
    return this.subs.get(id);
  }

  /** YAML subscriptions in file order, then Redis ones oldest first (as loaded, then as they arrive). */
  subscriptions(): Subscription[] {
    return [...this.subs.values()];
  }

  rule(id: string): DirectoryRule | undefined {
    return this.ruleMap.get(id);
  }

  rules(): DirectoryRule[] {
    return [...this.ruleMap.values()];
  }

  /** The subscriptions listening to any of these rules, each once, in directory order. */
  subscriptionsFor(ruleIds: Iterable<string>): Subscription[] {
    const ids = new Set<string>();
    for (const ruleId of ruleIds) for (const id of this.listeners.get(ruleId) ?? []) ids.add(id);
    const position = (id: string) => this.order.get(id) ?? 0;
    return [...ids].sort((a, b) => position(a) - position(b)).map((id) => this.subs.get(id) as Subscription);
  }

  /** Display name of a rule id, keyword rules included. */
  ruleName(ruleId: string): string {
    const rule = this.ruleMap.get(ruleId);
    if (rule) return rule.name ?? rule.id;
    const sub = this.subs.get(subscriptionOfKeywordRule(ruleId) ?? '');
    return sub?.keywords ? `Keywords: ${sub.keywords}` : ruleId;
  }

  /**
   * Resolves once this directory has applied every change written before the call (or after
   * `timeoutMs`, returning false). For tests and for callers that must read their own write.
   */
  async caughtUp(timeoutMs = 5_000): Promise<boolean> {
    await this.ready;
    const target = await this.store.lastChange();
    const deadline = Date.now() + timeoutMs;
    while (compareIds(this.applied, target) < 0) {
      if (Date.now() > deadline) return false;
      await new Promise<void>((resolve) => {
        this.waiters.add(resolve);
        setTimeout(resolve, 50);
      });
    }
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.reader.disconnect();
    await this.following?.catch(() => undefined);
  }

  // --- loading and following ---

  private applied = '0-0';

  /** Loads every Redis entry; returns the change-log id to follow from. */
  private async load(): Promise<string> {
    // The log position first: a change written during the load is then applied again, which is
    // harmless, rather than missed.
    const from = await this.store.lastChange();
    const [subs, rules] = await Promise.all([this.store.all(), this.store.allRules()]);
    for (const [id, sub] of this.subs) if (sub.source === 'redis' && !subs.some((s) => s.id === id)) this.removeSubscription(id);
    for (const [id, rule] of this.ruleMap) if (rule.source === 'redis' && !rules.some((r) => r.id === id)) this.removeRule(id);
    for (const rule of rules) this.applyRule(rule.id, rule);
    // Oldest first, so listings come out in the same order in every process.
    subs.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    for (const sub of subs) this.applySubscription(sub.id, sub);
    this.applied = from;
    return from;
  }

  private async follow(from: string): Promise<void> {
    let last = from;
    const stream = this.options.keys.directoryChanges();
    while (!this.closed) {
      let batch: [string, [string, string[]][]][] | null;
      try {
        batch = (await this.reader.xread('COUNT', 1000, 'BLOCK', 5_000, 'STREAMS', stream, last)) as typeof batch;
      } catch (err) {
        if (this.closed) return;
        this.options.log.warn({ err: (err as Error).message }, 'subscription directory lost its change stream; reloading');
        await new Promise((r) => setTimeout(r, 1_000));
        last = await this.load().catch(() => last);
        continue;
      }
      const entries = batch?.[0]?.[1] ?? [];
      if (entries.length === 0) continue;
      const changes = entries.map(([, fields]) => toChange(fields)).filter((c): c is DirectoryChange => c !== undefined);
      await this.apply(changes);
      last = entries[entries.length - 1]![0];
      this.applied = last;
      for (const wake of this.waiters) wake();
      this.waiters.clear();
    }
  }

  /** Applies a batch of changes by reading the current records (one round trip per kind). */
  private async apply(changes: DirectoryChange[]): Promise<void> {
    const subIds = [...new Set(changes.filter((c) => c.kind === 'subscription').map((c) => c.id))];
    const ruleIds = [...new Set(changes.filter((c) => c.kind === 'rule').map((c) => c.id))];
    const [subs, rules] = await Promise.all([this.store.some(subIds), this.store.someRules(ruleIds)]);
    for (const id of ruleIds) this.applyRule(id, rules.get(id));
    for (const id of subIds) this.applySubscription(id, subs.get(id));
  }

  private applySubscription(id: string, stored: StoredSubscription | undefined): void {
    if (this.subs.get(id)?.source === 'yaml') {
      if (stored) this.options.log.warn({ subscriptionId: id }, 'a subscription in Redis has the id of one in subscriptions.yaml; the YAML one is used');
      return;
    }
    this.removeSubscription(id);
    if (stored) this.putSubscription({ ...stored, source: 'redis' });
  }

  private applyRule(id: string, stored: StoredRule | undefined): void {
    if (this.ruleMap.get(id)?.source === 'yaml') {
      if (stored) this.options.log.warn({ ruleId: id }, 'a rule in Redis has the id of one in rules.yaml; the YAML one is used');
      return;
    }
    this.removeRule(id);
    if (stored) this.putRule({ ...stored, source: 'redis' });
  }

  // --- the in-memory maps and the index ---

  private putSubscription(sub: Subscription): void {
    if (sub.keywords && !this.indexRule({ id: keywordRuleId(sub.id), query: sub.keywords })) return;
    this.subs.set(sub.id, sub);
    if (!this.order.has(sub.id)) this.order.set(sub.id, this.nextOrder++);
    for (const ruleId of subscriptionRuleIds(sub)) {
      let set = this.listeners.get(ruleId);
      if (!set) this.listeners.set(ruleId, (set = new Set()));
      set.add(sub.id);
    }
  }

  private removeSubscription(id: string): void {
    const sub = this.subs.get(id);
    if (!sub) return;
    this.subs.delete(id);
    this.order.delete(id);
    for (const ruleId of subscriptionRuleIds(sub)) this.listeners.get(ruleId)?.delete(id);
    if (sub.keywords) this.unindexRule(keywordRuleId(id));
  }

  private putRule(rule: DirectoryRule): void {
    if (this.indexRule(rule)) this.ruleMap.set(rule.id, rule);
  }

  private removeRule(id: string): void {
    if (this.ruleMap.delete(id)) this.unindexRule(id);
  }

  /** False (and logged) when the rule's queries do not compile. */
  private indexRule(spec: RuleSpec): boolean {
    try {
      compileRule(spec);
    } catch (err) {
      this.options.log.error({ ruleId: spec.id, err: (err as Error).message }, 'stored rule does not compile; left out');
      return false;
    }
    this.specs.set(spec.id, { id: spec.id, query: spec.query, all: spec.all, any: spec.any, none: spec.none });
    this.built = undefined;
    return true;
  }

  private unindexRule(id: string): void {
    if (this.specs.delete(id)) this.built = undefined;
  }
}

function toChange(fields: string[]): DirectoryChange | undefined {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
  const kind = map.get('kind');
  const id = map.get('id');
  return (kind === 'subscription' || kind === 'rule') && id ? { kind, id } : undefined;
}

/** Orders stream ids ("ms-seq"). */
function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am - bm || as - bs;
}
