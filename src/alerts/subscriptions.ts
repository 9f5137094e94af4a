// Which rules a subscription listens to (its rule ids plus its inline `keywords:` query, compiled
// as a rule of its own), which articles its filters let through, and its disabled state (a
// webhook that answered 410 Gone), kept in Redis so every worker process sees it.

import type { SubscriptionConfig } from '../config/schema.js';
import type { MatchInput, RuleSpec } from '../match/index.js';
import type { RedisKeys } from '../queue/keys.js';
import type { RedisClient } from '../queue/redis.js';

const KEYWORDS = 'keywords:';

/** Rule id of a subscription's `keywords:` query; rule ids are slugs, so it cannot clash. */
export const keywordRuleId = (subscriptionId: string) => `${KEYWORDS}${subscriptionId}`;

/** The subscription whose keyword rule this is; undefined for other rules. */
export const subscriptionOfKeywordRule = (ruleId: string) => (ruleId.startsWith(KEYWORDS) ? ruleId.slice(KEYWORDS.length) : undefined);

export function keywordRules(subs: SubscriptionConfig[]): RuleSpec[] {
  return subs.flatMap((s) => (s.keywords ? [{ id: keywordRuleId(s.id), query: s.keywords }] : []));
}

export function subscriptionRuleIds(sub: SubscriptionConfig): string[] {
  return sub.keywords ? [...sub.rules, keywordRuleId(sub.id)] : sub.rules;
}

/**
 * Whether the subscription's `languages:` and `feeds:` filters let the article through. An
 * article whose language is unknown passes a language filter: dropping it silently would be worse.
 */
export function passesFilters(sub: SubscriptionConfig, article: Pick<MatchInput, 'language' | 'feed'>): boolean {
  if (sub.feeds && !sub.feeds.includes(article.feed ?? '')) return false;
  if (sub.languages && article.language && !sub.languages.includes(article.language.toLowerCase().slice(0, 2))) return false;
  return true;
}

/** Where a subscription stands: waiting for its confirmation, sending, paused, or switched off by a 410. */
export type SubscriptionStatus = 'pending' | 'active' | 'paused' | 'disabled';

export function statusOf(sub: Pick<SubscriptionConfig, 'id' | 'paused'>, disabled: Map<string, string>): SubscriptionStatus {
  return disabled.has(sub.id) ? 'disabled' : sub.paused ? 'paused' : 'active';
}

export class SubscriptionState {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  private get key(): string {
    return this.keys.disabled();
  }

  async disabled(): Promise<Map<string, string>> {
    return new Map(Object.entries(await this.redis.hgetall(this.key)));
  }

  async isDisabled(subscriptionId: string): Promise<boolean> {
    return (await this.redis.hexists(this.key, subscriptionId)) === 1;
  }

  async disable(subscriptionId: string, reason: string): Promise<void> {
    await this.redis.hset(this.key, subscriptionId, `${new Date().toISOString()} ${reason}`);
  }

  /** Returns false when the subscription was not disabled. */
  async enable(subscriptionId: string): Promise<boolean> {
    return (await this.redis.hdel(this.key, subscriptionId)) === 1;
  }
}
