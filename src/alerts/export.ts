// Subscriptions and rules kept in Redis, written back as config YAML: the shape of
// subscriptions.yaml and rules.yaml (defaults left out, so entries read like hand-written ones),
// with when and how each came about as a comment. Appended to copies of the current files, they
// make a config directory that `newswatch validate` accepts and `newswatch start` can run from.
// Webhook secrets are included: the export is a backup.

import { isMap, isSeq, parseDocument } from 'yaml';
import { rulesFileSchema, subscriptionsFileSchema, type RuleConfig, type SubscriptionConfig } from '../config/schema.js';
import { appendEntries } from '../config/yaml-edit.js';
import type { StoredRule, StoredSubscription } from './subscription-store.js';

/** The YAML fields of a subscription, without the schema's defaults. */
export function subscriptionYaml(sub: SubscriptionConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { id: sub.id };
  if (sub.email) out.email = sub.email;
  if (sub.webhook) out.webhook = sub.webhook.format === 'standard' ? { url: sub.webhook.url, secret: sub.webhook.secret } : sub.webhook;
  if (sub.rules.length > 0) out.rules = sub.rules;
  if (sub.keywords) out.keywords = sub.keywords;
  if (sub.delivery !== 'immediate') out.delivery = sub.delivery;
  if (sub.digest) out.digest = sub.digest;
  if (sub.timezone !== 'UTC') out.timezone = sub.timezone;
  if (sub.maxPerDigest !== 50) out.maxPerDigest = sub.maxPerDigest;
  if (sub.languages) out.languages = sub.languages;
  if (sub.feeds) out.feeds = sub.feeds;
  if (sub.paused) out.paused = true;
  return JSON.parse(JSON.stringify(out)) as Record<string, unknown>;
}

/** The YAML fields of a rule, without the schema's defaults. */
export function ruleYaml(rule: RuleConfig): Record<string, unknown> {
  const { id, name, query, all, any, none } = rule;
  const out = JSON.parse(JSON.stringify({ id, name, query, all, any, none })) as Record<string, unknown>;
  if (rule.public) out.public = true;
  return out;
}

const origin = (r: { createdAt: string; confirmedAt?: string; origin?: string }) =>
  ` created ${r.createdAt}${r.confirmedAt ? `, confirmed ${r.confirmedAt}` : ''}${r.origin ? ` through the ${r.origin}` : ''} (exported from Redis)`;

/** Appends entries to the list `key` of a config file's text, the file's own entries untouched. */
function append(text: string, key: 'rules' | 'subscriptions', entries: { yaml: Record<string, unknown>; comment: string }[], file: string): string {
  return appendEntries(
    text,
    key,
    entries.map((e) => ({ value: e.yaml, comment: e.comment })),
    file,
  );
}

export interface ExportedConfig {
  rules: string;
  subscriptions: string;
}

/**
 * rules.yaml and subscriptions.yaml with the Redis-held entries appended (an entry whose id the
 * file already has is left out: the file's own wins, as in the directory). Throws when the result
 * would not validate, naming the file.
 */
export function exportConfig(current: ExportedConfig, rules: StoredRule[], subs: StoredSubscription[]): ExportedConfig {
  const ids = (text: string, key: string) => {
    const list = parseDocument(text).get(key, true);
    return new Set(isSeq(list) ? list.items.filter(isMap).map((m) => String(m.get('id'))) : []);
  };
  const knownRules = ids(current.rules, 'rules');
  const knownSubs = ids(current.subscriptions, 'subscriptions');
  const out = {
    rules: append(current.rules, 'rules', rules.filter((r) => !knownRules.has(r.id)).map((r) => ({ yaml: ruleYaml(r), comment: origin(r) })), 'rules.yaml'),
    subscriptions: append(
      current.subscriptions,
      'subscriptions',
      subs.filter((s) => !knownSubs.has(s.id)).map((s) => ({ yaml: subscriptionYaml(s), comment: origin(s) })),
      'subscriptions.yaml',
    ),
  };
  for (const [file, schema, text] of [
    ['rules.yaml', rulesFileSchema, out.rules],
    ['subscriptions.yaml', subscriptionsFileSchema, out.subscriptions],
  ] as const) {
    const check = schema.safeParse(parseDocument(text).toJS() ?? {});
    if (!check.success) throw new Error(`${file}: the export would not validate (${check.error.issues[0]?.message}); nothing was written`);
  }
  return out;
}
