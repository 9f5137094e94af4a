// The YAML shape of config/*.yaml, its defaults and its field descriptions: the single source
// of truth (the README's configuration reference is written from it). Cross-file checks
// (a subscription naming a missing rule, duplicate ids) live in load.ts.

import { z } from 'zod';
import { CronExpressionParser } from 'cron-parser';
import { DURATION_HELP, parseDuration } from './duration.js';

const ID = /^[a-z0-9][a-z0-9_-]*$/;
const id = (what: string) =>
  z.string().regex(ID, {
    message: `${what} id must be a slug: lower-case letters, digits, "-" and "_" (e.g. "bbc-world")`,
  });

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration: ${DURATION_HELP}` });
        return z.NEVER;
      }
      return ms;
    });

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an absolute http:// or https:// URL' });

export const feedSchema = z.strictObject({
  id: id('feed').describe('Unique slug; used in logs, job ids and the `feed:` query field.'),
  url: httpUrl.describe('The RSS, Atom or JSON Feed URL.'),
  title: z.string().optional().describe('Display name in alerts; defaults to the feed\'s own title.'),
  interval: duration('10m').describe('How often to poll, e.g. 5m; default 10m.'),
  fetchArticle: z
    .boolean()
    .default(false)
    .describe('Fetch each article page and extract its main text before matching; default false.'),
  tags: z.array(z.string()).default([]).describe('Free labels, matched by the `feed:` query field.'),
  identity: z
    .enum(['guid', 'link'], { error: 'identity must be "guid" or "link"' })
    .optional()
    .describe(
      'What identifies an item: its guid, or (for a feed that reuses guids for different articles) its link; default polling.identity of settings.yaml (guid).',
    ),
});

export const feedsFileSchema = z.strictObject({ feeds: z.array(feedSchema).default([]) });

const queryText = z.string().trim().min(1, { message: 'query is empty: write at least one word' });

export const ruleSchema = z
  .strictObject({
    id: id('rule'),
    name: z.string().optional().describe('Human name used in email subjects; defaults to the id.'),
    query: queryText.optional().describe('Boolean query; see the query-language reference.'),
    all: z.array(queryText).optional().describe('Queries that must all match (ANDed with query).'),
    any: z.array(queryText).optional().describe('At least one of these must match.'),
    none: z.array(queryText).optional().describe('None of these may match.'),
    public: z
      .boolean()
      .default(false)
      .describe('Offered on the subscribe page as a ready-made choice (field `rule`); default false.'),
  })
  .refine((r) => r.query !== undefined || (r.all?.length ?? 0) > 0 || (r.any?.length ?? 0) > 0, {
    message: 'a rule needs `query:` (or `all:`/`any:` lists) saying what to match',
  });

export const rulesFileSchema = z.strictObject({ rules: z.array(ruleSchema).default([]) });

export const webhookSchema = z.strictObject({
  url: httpUrl.describe('Receiver URL; gets a JSON POST per alert.'),
  secret: z
    .string()
    .min(1, { message: 'secret is empty: set it, or leave `secret:` out to send unsigned' })
    .optional()
    .describe('Signing secret (Standard Webhooks); `whsec_…` base64 or any string.'),
  format: z
    .enum(['standard', 'slack', 'discord'], { error: 'format must be "standard", "slack" or "discord"' })
    .default('standard')
    .describe('Payload shape: our versioned JSON, or a Slack / Discord incoming-webhook message.'),
});

const timezone = z
  .string()
  .refine((tz) => isTimeZone(tz), { message: 'not a time zone: use an IANA name such as "Europe/Kyiv" or "UTC"' });

const cron = z.string().refine((expr) => isCron(expr), {
  message: 'not a cron expression: five fields "minute hour day-of-month month day-of-week", e.g. "0 8 * * 1-5"',
});

export const DIGEST_SHORTCUTS = { hourly: '0 * * * *', daily: '0 8 * * *', weekly: '0 8 * * 1' } as const;

export const digestSchema = z.union(
  [
    z.enum(['hourly', 'daily', 'weekly']),
    z.strictObject({
      cron: cron.describe('When to send, in the subscription\'s time zone.'),
      timezone: timezone.optional().describe('Overrides the subscription\'s `timezone:` for the schedule.'),
    }),
  ],
  { error: 'digest must be hourly, daily, weekly or { cron: "0 8 * * *", timezone: "Europe/Kyiv" }' },
);

export const subscriptionSchema = z
  .strictObject({
    id: id('subscription'),
    email: z.email({ error: 'must be an email address, e.g. desk@example.org' }).optional(),
    webhook: webhookSchema.optional(),
    rules: z.array(z.string()).default([]).describe('Rule ids from rules.yaml.'),
    keywords: queryText.optional().describe('An inline query, Google Alerts style: `ukraine ceasefire -gaza`.'),
    delivery: z
      .enum(['immediate', 'digest'], { error: 'delivery must be "immediate" or "digest"' })
      .default('immediate'),
    digest: digestSchema.optional().describe('Digest schedule; default daily at 08:00.'),
    timezone: timezone.default('UTC').describe('IANA time zone for times in emails and digest schedules; default UTC.'),
    maxPerDigest: z.number().int().min(1).max(1000).default(50).describe('Stories listed per digest; the rest are counted.'),
    languages: z.array(z.string().min(2)).optional().describe('Only articles in these languages (ISO 639-1 codes).'),
    feeds: z.array(z.string()).optional().describe('Only articles from these feed ids.'),
    paused: z.boolean().default(false).describe('Kept, but sent nothing until unpaused; default false.'),
  })
  .refine((s) => (s.email === undefined) !== (s.webhook === undefined), {
    message: 'a subscription needs exactly one target: `email:` or `webhook:`',
  })
  .refine((s) => s.rules.length > 0 || s.keywords !== undefined, {
    message: 'a subscription needs `rules:` (rule ids) or `keywords:` (a query), or both',
  })
  .refine((s) => !(s.delivery === 'digest' && s.webhook), {
    message: 'digests are sent by email; use delivery: immediate for a webhook',
  });

export const subscriptionsFileSchema = z.strictObject({
  subscriptions: z.array(subscriptionSchema).default([]),
});

export type FeedConfig = z.output<typeof feedSchema>;
export type RuleConfig = z.output<typeof ruleSchema>;
export type SubscriptionConfig = z.output<typeof subscriptionSchema>;
export type WebhookConfig = z.output<typeof webhookSchema>;

/** The keys an object schema accepts at a path, for "did you mean" hints. */
export function knownKeysAt(schema: z.ZodType, path: readonly (string | number)[]): string[] {
  let node: z.ZodType | undefined = schema;
  for (const step of [...path, undefined]) {
    node = unwrap(node);
    if (step === undefined) break;
    if (node instanceof z.ZodObject) node = node.shape[step as string] as z.ZodType | undefined;
    else if (node instanceof z.ZodArray) node = node.element as z.ZodType;
    else return [];
  }
  return node instanceof z.ZodObject ? Object.keys(node.shape) : [];
}

function unwrap(node: z.ZodType | undefined): z.ZodType | undefined {
  let current = node;
  for (;;) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodDefault || current instanceof z.ZodPrefault) current = current.unwrap() as z.ZodType;
    else if (current instanceof z.ZodPipe) current = current.in as z.ZodType;
    else return current;
  }
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function isCron(expr: string): boolean {
  if (expr.trim().split(/\s+/).length !== 5) return false;
  try {
    CronExpressionParser.parse(expr);
    return true;
  } catch {
    return false;
  }
}
