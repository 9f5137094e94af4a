// Which rules a subscription listens to (its rule ids plus its inline `keywords:` query, compiled
// as a rule of its own), which articles its filters let through, and its disabled state (a
// webhook that answered 410 Gone), kept in Redis so every worker process sees it.

import type { RuleConfig, SubscriptionConfig } from '../config/schema.js';
import type { MatchInput, RuleSpec } from '../match/index.js';
import type { RedisKeys } from '../queue/keys.js';
import type { RedisClient } from '../queue/redis.js';

/** Rule id of a subscription's `keywords:` query; rule ids are slugs, so it cannot clash. */
export const keywordRuleId = (subscriptionId: string) => `keywords:${subscriptionId}`;

export function keywordRules(subs: SubscriptionConfig[]): RuleSpec[] {
  return subs.flatMap((s) => (s.keywords ? [{ id: keywordRuleId(s.id), query: s.keywords }] : []));
}

export function subscriptionRuleIds(sub: SubscriptionConfig): string[] {
  return sub.keywords ? [...sub.rules, keywordRuleId(sub.id)] : sub.rules;
}

/** Display name of a rule id, including keyword rules. */
export function ruleName(ruleId: string, rules: RuleConfig[], subs: SubscriptionConfig[]): string {
  const rule = rules.find((r) => r.id === ruleId);
  if (rule) return rule.name ?? rule.id;
  const sub = subs.find((s) => keywordRuleId(s.id) === ruleId);
  return sub?.keywords ? `Keywords: ${sub.keywords}` : ruleId;
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

  async disable(subscriptionId: string, reason: string): Promise<void> {
    await this.redis.hset(this.key, subscriptionId, `${new Date().toISOString()} ${reason}`);
  }

  /** Returns false when the subscription was not disabled. */
  async enable(subscriptionId: string): Promise<boolean> {
    return (await this.redis.hdel(this.key, subscriptionId)) === 1;
  }
}
