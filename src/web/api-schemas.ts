// The JSON shapes of /api/v1, as TypeBox schemas: Fastify validates requests and serialises
// responses with them (a response field not listed here, such as a webhook secret, never goes
// out), and the OpenAPI document is generated from them. Sizes are bounded here; what a value
// means (an email address, a time zone, a query that parses) is checked by src/alerts/self-service.ts
// with the same schemas the YAML loader uses.

import { Type, type Static } from 'typebox';

const id = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]*$', maxLength: 64, description: 'A slug: lower-case letters, digits, "-" and "_".' });
const query = Type.String({ minLength: 1, maxLength: 2000, description: 'A query in the Newswatch query language, e.g. `ukraine AND ceasefire -gaza`.' });
const shortList = (item: ReturnType<typeof Type.String>, maxItems: number, description: string) => Type.Array(item, { maxItems, description });

const webhookIn = Type.Object(
  {
    url: Type.String({ maxLength: 2048, description: 'Receiver URL; must reach a public address unless settings.yaml fetch.allowAddresses or api.allowWebhookRanges allows it.' }),
    secret: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Signing secret (Standard Webhooks); never returned.' })),
    format: Type.Optional(Type.Union([Type.Literal('standard'), Type.Literal('slack'), Type.Literal('discord')], { description: 'Payload shape; default standard.' })),
  },
  { additionalProperties: false },
);

const frequency = Type.Union(
  [
    Type.Literal('immediate'),
    Type.Literal('hourly'),
    Type.Literal('daily'),
    Type.Literal('weekly'),
    Type.Object(
      {
        cron: Type.String({ maxLength: 100, description: 'Five cron fields, e.g. "0 7 * * 1-5".' }),
        timezone: Type.Optional(Type.String({ maxLength: 64 })),
      },
      { additionalProperties: false },
    ),
  ],
  { description: 'immediate (an alert per story), or a digest email: hourly, daily (08:00), weekly (Monday 08:00) or a cron schedule.' },
);

/** The fields a client may set on a subscription. */
const subscriptionFields = {
  email: Type.Optional(Type.String({ maxLength: 254, description: 'Send alerts to this address (or give `webhook`).' })),
  webhook: Type.Optional(webhookIn),
  query: Type.Optional(query),
  rules: Type.Optional(shortList(Type.String({ maxLength: 64 }), 50, 'Rule ids (GET /api/v1/rules).')),
  frequency: Type.Optional(frequency),
  timezone: Type.Optional(Type.String({ maxLength: 64, description: 'IANA time zone of digest schedules and times in emails; default UTC.' })),
  languages: Type.Optional(shortList(Type.String({ minLength: 2, maxLength: 12 }), 20, 'Only articles in these languages (ISO 639-1).')),
  feeds: Type.Optional(shortList(Type.String({ maxLength: 64 }), 200, 'Only articles from these feed ids.')),
  maxPerDigest: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  paused: Type.Optional(Type.Boolean({ description: 'Kept, but sent nothing while true.' })),
};

export const SubscriptionCreate = Type.Object(
  {
    id: Type.Optional(id),
    ...subscriptionFields,
    confirmed: Type.Optional(
      Type.Boolean({ description: 'true: active at once, without a confirmation email. Otherwise the subscription is pending until confirmed.' }),
    ),
  },
  { additionalProperties: false, description: 'Exactly one of `email` and `webhook`; `query` or `rules` or both.' },
);
export type SubscriptionCreate = Static<typeof SubscriptionCreate>;

export const SubscriptionPatch = Type.Object(
  {
    ...subscriptionFields,
    query: Type.Optional(Type.Union([query, Type.Null()], { description: 'The new query; null removes it.' })),
    languages: Type.Optional(Type.Union([shortList(Type.String({ minLength: 2, maxLength: 12 }), 20, 'Languages.'), Type.Null()])),
    feeds: Type.Optional(Type.Union([shortList(Type.String({ maxLength: 64 }), 200, 'Feed ids.'), Type.Null()])),
    confirmed: Type.Optional(Type.Literal(true, { description: 'Confirms a pending subscription.' })),
  },
  { additionalProperties: false, description: 'Only the fields given change. A pending subscription can only be confirmed (or deleted).' },
);
export type SubscriptionPatch = Static<typeof SubscriptionPatch>;

export const Subscription = Type.Object({
  id: Type.String(),
  source: Type.Union([Type.Literal('yaml'), Type.Literal('redis')], { description: 'yaml: from subscriptions.yaml, read-only here.' }),
  status: Type.Union([Type.Literal('pending'), Type.Literal('active'), Type.Literal('paused'), Type.Literal('disabled')]),
  email: Type.Optional(Type.String()),
  webhook: Type.Optional(Type.Object({ url: Type.String(), format: Type.String(), signed: Type.Boolean() })),
  query: Type.Optional(Type.String()),
  rules: Type.Array(Type.String()),
  frequency,
  timezone: Type.String(),
  languages: Type.Optional(Type.Array(Type.String())),
  feeds: Type.Optional(Type.Array(Type.String())),
  maxPerDigest: Type.Integer(),
  paused: Type.Boolean(),
  origin: Type.Optional(Type.String({ description: 'Where it was created: web or api.' })),
  createdAt: Type.Optional(Type.String()),
  confirmedAt: Type.Optional(Type.String()),
  feedUrl: Type.String({ description: 'Atom feed of the stories it matched (newest 100); private, keep it so.' }),
  jsonFeedUrl: Type.String({ description: 'The same as a JSON Feed.' }),
});
export type Subscription = Static<typeof Subscription>;

export const SubscriptionCreated = Type.Object({
  ...Subscription.properties,
  confirmationSent: Type.Optional(Type.Boolean({ description: 'For a pending email subscription: whether the confirmation email went out (at most web.mailsPerAddressPerDay a day).' })),
});

const ruleFields = {
  name: Type.Optional(Type.String({ maxLength: 200, description: 'Human name used in email subjects; defaults to the id.' })),
  query: Type.Optional(query),
  all: Type.Optional(Type.Array(query, { maxItems: 50, description: 'Queries that must all match.' })),
  any: Type.Optional(Type.Array(query, { maxItems: 50, description: 'At least one must match.' })),
  none: Type.Optional(Type.Array(query, { maxItems: 50, description: 'None may match.' })),
  public: Type.Optional(Type.Boolean({ description: 'Offered on the subscribe page; default false.' })),
};

export const RuleCreate = Type.Object({ id: Type.Optional(id), ...ruleFields }, { additionalProperties: false, description: '`query` or `all`/`any` lists.' });
export type RuleCreate = Static<typeof RuleCreate>;

export const RulePatch = Type.Object(
  {
    ...ruleFields,
    name: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
    query: Type.Optional(Type.Union([query, Type.Null()])),
    all: Type.Optional(Type.Union([Type.Array(query, { maxItems: 50 }), Type.Null()])),
    any: Type.Optional(Type.Union([Type.Array(query, { maxItems: 50 }), Type.Null()])),
    none: Type.Optional(Type.Union([Type.Array(query, { maxItems: 50 }), Type.Null()])),
  },
  { additionalProperties: false, description: 'Only the fields given change; null removes one.' },
);
export type RulePatch = Static<typeof RulePatch>;

export const Rule = Type.Object({
  id: Type.String(),
  source: Type.Union([Type.Literal('yaml'), Type.Literal('redis')]),
  name: Type.Optional(Type.String()),
  query: Type.Optional(Type.String()),
  all: Type.Optional(Type.Array(Type.String())),
  any: Type.Optional(Type.Array(Type.String())),
  none: Type.Optional(Type.Array(Type.String())),
  public: Type.Boolean(),
  createdAt: Type.Optional(Type.String()),
  feedUrl: Type.String(),
  jsonFeedUrl: Type.String(),
});
export type Rule = Static<typeof Rule>;

export const ApiError = Type.Object(
  {
    error: Type.String({ description: 'What is wrong and what to do.' }),
    field: Type.Optional(Type.String({ description: 'The request field at fault.' })),
    offset: Type.Optional(Type.Integer({ description: 'For a query that does not parse: 0-based offset of the problem.' })),
    length: Type.Optional(Type.Integer()),
    hint: Type.Optional(Type.String()),
    caret: Type.Optional(Type.String({ description: 'The query with a caret under the problem.' })),
    problems: Type.Optional(Type.Array(Type.Object({ field: Type.Optional(Type.String()), message: Type.String() }))),
    id: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

export const IdParams = Type.Object({ id: Type.String({ maxLength: 200 }) });
export type IdParams = Static<typeof IdParams>;
