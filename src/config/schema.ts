// The YAML shape of config/*.yaml, its defaults and its field descriptions: the single source
// of truth (the README's configuration reference is written from it). Cross-file checks
// (a subscription naming a missing rule, duplicate ids) live in load.ts.

import { z } from 'zod';
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
  })
  .refine((r) => r.query !== undefined || (r.all?.length ?? 0) > 0 || (r.any?.length ?? 0) > 0, {
    message: 'a rule needs `query:` (or `all:`/`any:` lists) saying what to match',
  });

export const rulesFileSchema = z.strictObject({ rules: z.array(ruleSchema).default([]) });

export const webhookSchema = z.strictObject({
  url: httpUrl.describe('Receiver URL; gets a signed JSON POST per alert.'),
  secret: z
    .string()
    .min(1, { message: 'secret is empty: set it, or leave `secret:` out to send unsigned' })
    .optional()
    .describe('Signing secret (Standard Webhooks); `whsec_…` base64 or any string.'),
});

export const subscriptionSchema = z
  .strictObject({
    id: id('subscription'),
    email: z.email({ error: 'must be an email address, e.g. desk@example.org' }).optional(),
    webhook: webhookSchema.optional(),
    rules: z.array(z.string()).min(1, { message: 'list at least one rule id' }),
    delivery: z
      .enum(['immediate', 'digest'], { error: 'delivery must be "immediate" or "digest"' })
      .default('immediate'),
  })
  .refine((s) => (s.email === undefined) !== (s.webhook === undefined), {
    message: 'a subscription needs exactly one target: `email:` or `webhook:`',
  });

export const subscriptionsFileSchema = z.strictObject({
  subscriptions: z.array(subscriptionSchema).default([]),
});

export type FeedConfig = z.output<typeof feedSchema>;
export type RuleConfig = z.output<typeof ruleSchema>;
export type SubscriptionConfig = z.output<typeof subscriptionSchema>;

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
    if (current instanceof z.ZodOptional || current instanceof z.ZodDefault) current = current.unwrap() as z.ZodType;
    else if (current instanceof z.ZodPipe) current = current.in as z.ZodType;
    else return current;
  }
}
