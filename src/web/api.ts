// The JSON API under /api/v1: subscriptions and rules, created, listed, read, changed and deleted
// by systems. Its rules:
// - Every request carries `Authorization: Bearer $ADMIN_TOKEN` (401 without it); without
//   ADMIN_TOKEN the API is off (404 with how to turn it on). The OpenAPI document at
//   /api/v1/openapi.json is generated from the route schemas (api-schemas.ts) and needs no token.
// - Requests per client IP are limited across processes (settings.yaml api.requestsPerMinute,
//   counted in Redis); more get 429 before the token is even looked at.
// - Bodies are validated against the schemas (422 naming each field at fault); meaning is checked
//   by src/alerts/self-service.ts (422 with a query's parse error and its offset).
// - YAML subscriptions and rules are listed (`"source": "yaml"`) but read-only here (409).
// - Routes are thin: the work is in src/alerts/self-service.ts.

import { createHash, timingSafeEqual } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { SubscriptionConfig } from '../config/schema.js';
import { feedLinks } from '../alerts/links.js';
import {
  confirmSubscription,
  createRule,
  createSubscription,
  deleteRule,
  deleteSubscription,
  findRule,
  findSubscription,
  listRules,
  listSubscriptions,
  newId,
  RequestError,
  updateRule,
  updateSubscription,
  validRule,
  validSubscription,
  type RuleView,
  type SelfServiceContext,
  type SubscriptionView,
} from '../alerts/self-service.js';
import type { StoredRule, StoredSubscription } from '../alerts/subscription-store.js';
import {
  ApiError,
  IdParams,
  Rule,
  RuleCreate,
  RulePatch,
  Subscription,
  SubscriptionCreate,
  SubscriptionCreated,
  SubscriptionPatch,
  type RuleCreate as RuleCreateBody,
  type Subscription as SubscriptionOut,
  type SubscriptionCreate as SubscriptionCreateBody,
  type Rule as RuleOut,
} from './api-schemas.js';

export const API_PREFIX = '/api/v1';

/** Registers /api/v1 on the server. */
export function registerApi(app: FastifyInstance, ctx: SelfServiceContext): void {
  const token = ctx.settings.adminToken;
  void app.register(
    async (scope) => {
      const api = typed(scope);
      if (!token) {
        const off = (_request: FastifyRequest, reply: FastifyReply) =>
          reply.status(404).send({ error: 'The API is off on this server: set ADMIN_TOKEN in its environment to turn it on.' });
        api.all('/', off);
        api.all('/*', off);
        return;
      }
      await api.register(rateLimit, {
        max: ctx.settings.api.requestsPerMinute,
        timeWindow: 60_000,
        redis: ctx.redis,
        nameSpace: ctx.keys.apiRateLimit(''),
        errorResponseBuilder: (_request, limit) =>
          Object.assign(new Error(`Too many API requests from this address: at most ${limit.max} a minute; try again in ${Math.max(1, Math.ceil(limit.ttl / 1000))} s.`), {
            statusCode: 429,
          }),
      });
      await api.register(swagger, {
        openapi: {
          openapi: '3.1.0',
          info: { title: 'Newswatch API', version: '1', description: 'Subscriptions and rules of a Newswatch install. Send `Authorization: Bearer $ADMIN_TOKEN`.' },
          components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
          security: [{ bearer: [] }],
        },
      });
      // After the rate limit (a route-level onRequest hook), before the body is read.
      api.addHook('preParsing', async (request, reply, payload) => {
        if (request.routeOptions.url === `${API_PREFIX}/openapi.json`) return payload;
        if (!authorised(request.headers.authorization, token)) {
          return reply
            .status(401)
            .header('www-authenticate', 'Bearer realm="newswatch"')
            .send({ error: 'This needs the admin token: send the header "Authorization: Bearer <ADMIN_TOKEN>".' });
        }
        return payload;
      });
      api.setErrorHandler(apiErrorHandler(ctx));
      api.setNotFoundHandler((_request, reply) => reply.status(404).send({ error: 'There is no such API endpoint; see /api/v1/openapi.json.' }));

      api.get('/openapi.json', { schema: { hide: true } }, async () => scope.swagger());
      subscriptionRoutes(api, ctx);
      ruleRoutes(api, ctx);
    },
    { prefix: API_PREFIX },
  );
}

const typed = (app: FastifyInstance) => app.withTypeProvider<TypeBoxTypeProvider>();
type Api = ReturnType<typeof typed>;

const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, ApiError]));
const notFound = (what: string, id: string) => new RequestError(404, `there is no ${what} "${id}"`);

function subscriptionRoutes(api: Api, ctx: SelfServiceContext): void {
  const tags = ['subscriptions'];
  api.post(
    '/subscriptions',
    {
      schema: {
        tags,
        summary: 'Create a subscription (pending until confirmed, unless `confirmed: true`)',
        body: SubscriptionCreate,
        response: { 200: SubscriptionCreated, 201: SubscriptionCreated, ...errors(401, 409, 413, 422, 429) },
      },
    },
    async (request, reply) => {
      const { confirmed, ...fields } = request.body;
      const sub = await validSubscription(ctx, configInput(request.body.id ?? newId('subscription'), fields), 'api');
      const result = await createSubscription(ctx, sub, { origin: 'api', confirmed: confirmed === true });
      const out = { ...(await subscriptionOut(ctx, result.view)), confirmationSent: result.confirmationSent };
      return reply.status(result.created ? 201 : 200).send(out);
    },
  );

  api.get(
    '/subscriptions',
    { schema: { tags, summary: 'Every subscription: from subscriptions.yaml, confirmed and pending', response: { 200: Type.Object({ subscriptions: Type.Array(Subscription) }), ...errors(401, 429) } } },
    async () => ({ subscriptions: await Promise.all((await listSubscriptions(ctx)).map((v) => subscriptionOut(ctx, v))) }),
  );

  api.get(
    '/subscriptions/:id',
    { schema: { tags, summary: 'One subscription', params: IdParams, response: { 200: Subscription, ...errors(401, 404, 429) } } },
    async (request) => subscriptionOut(ctx, await existingSubscription(ctx, request.params.id)),
  );

  api.patch(
    '/subscriptions/:id',
    {
      schema: {
        tags,
        summary: 'Change a subscription (only the fields given), or confirm a pending one',
        params: IdParams,
        body: SubscriptionPatch,
        response: { 200: Subscription, ...errors(401, 404, 409, 413, 422, 429) },
      },
    },
    async (request) => {
      const view = await existingSubscription(ctx, request.params.id);
      readOnlyIfYaml(view.source, 'subscription', view.sub.id, 'subscriptions.yaml');
      const { confirmed, ...patch } = request.body;
      if (view.status === 'pending') {
        if (Object.keys(patch).length > 0) {
          throw new RequestError(409, `subscription "${view.sub.id}" is waiting for its confirmation: confirm it first ({"confirmed": true}), or delete it and create it anew`);
        }
        if (!confirmed) return subscriptionOut(ctx, view);
        const done = await confirmSubscription(ctx, view.sub.id);
        if (!done) throw notFound('subscription', view.sub.id);
        return subscriptionOut(ctx, await existingSubscription(ctx, view.sub.id));
      }
      const before = view.sub as StoredSubscription;
      const merged = { ...apiFieldsOf(before), ...withoutNulls(patch) };
      const sub = await validSubscription(ctx, configInput(before.id, merged), 'api');
      const after: StoredSubscription = { ...sub, createdAt: before.createdAt, confirmedAt: before.confirmedAt, origin: before.origin };
      await updateSubscription(ctx, before, after);
      return subscriptionOut(ctx, await existingSubscription(ctx, before.id));
    },
  );

  api.delete(
    '/subscriptions/:id',
    { schema: { tags, summary: 'Delete a subscription; nothing more is sent for it', params: IdParams, response: { 204: Type.Null(), ...errors(401, 404, 409, 429) } } },
    async (request, reply) => {
      const view = await existingSubscription(ctx, request.params.id);
      readOnlyIfYaml(view.source, 'subscription', view.sub.id, 'subscriptions.yaml');
      if (!(await deleteSubscription(ctx, view.sub.id))) throw notFound('subscription', view.sub.id);
      return reply.status(204).send(null);
    },
  );
}

function ruleRoutes(api: Api, ctx: SelfServiceContext): void {
  const tags = ['rules'];
  api.post(
    '/rules',
    { schema: { tags, summary: 'Create a rule', body: RuleCreate, response: { 201: Rule, ...errors(401, 409, 413, 422, 429) } } },
    async (request, reply) => {
      const rule = validRule(ruleInput(request.body.id ?? newId('rule'), request.body));
      const stored = await createRule(ctx, rule);
      return reply.status(201).send(await ruleOut(ctx, { rule: stored, source: 'redis' }));
    },
  );

  api.get(
    '/rules',
    { schema: { tags, summary: 'Every rule: from rules.yaml and created here', response: { 200: Type.Object({ rules: Type.Array(Rule) }), ...errors(401, 429) } } },
    async () => ({ rules: await Promise.all((await listRules(ctx)).map((v) => ruleOut(ctx, v))) }),
  );

  api.get(
    '/rules/:id',
    { schema: { tags, summary: 'One rule', params: IdParams, response: { 200: Rule, ...errors(401, 404, 429) } } },
    async (request) => ruleOut(ctx, await existingRule(ctx, request.params.id)),
  );

  api.patch(
    '/rules/:id',
    { schema: { tags, summary: 'Change a rule (only the fields given)', params: IdParams, body: RulePatch, response: { 200: Rule, ...errors(401, 404, 409, 413, 422, 429) } } },
    async (request) => {
      const view = await existingRule(ctx, request.params.id);
      readOnlyIfYaml(view.source, 'rule', view.rule.id, 'rules.yaml');
      const before = view.rule as StoredRule;
      const { id: _id, createdAt: _created, ...current } = before;
      const rule = validRule(ruleInput(before.id, { ...current, ...withoutNulls(request.body) }));
      const after: StoredRule = { ...rule, createdAt: before.createdAt };
      await updateRule(ctx, before, after);
      return ruleOut(ctx, { rule: after, source: 'redis' });
    },
  );

  api.delete(
    '/rules/:id',
    { schema: { tags, summary: 'Delete a rule no subscription uses', params: IdParams, response: { 204: Type.Null(), ...errors(401, 404, 409, 429) } } },
    async (request, reply) => {
      const view = await existingRule(ctx, request.params.id);
      readOnlyIfYaml(view.source, 'rule', view.rule.id, 'rules.yaml');
      if (!(await deleteRule(ctx, view.rule.id))) throw notFound('rule', view.rule.id);
      return reply.status(204).send(null);
    },
  );
}

// --- between API shapes and config shapes ---

type SubscriptionFields = Omit<SubscriptionCreateBody, 'id' | 'confirmed'>;

/** The config-shaped input (as in subscriptions.yaml) of API fields. */
function configInput(id: string, fields: SubscriptionFields): Record<string, unknown> {
  const { query, frequency, ...rest } = fields;
  const immediate = frequency === undefined || frequency === 'immediate';
  return { id, ...rest, keywords: query, delivery: immediate ? 'immediate' : 'digest', digest: immediate ? undefined : frequency };
}

/** The API fields of a stored subscription (webhook secret included: it is kept on a change). */
function apiFieldsOf(sub: SubscriptionConfig): SubscriptionFields {
  const { id: _id, keywords, delivery, digest, ...rest } = sub;
  const { createdAt: _c, confirmedAt: _f, origin: _o, ...fields } = rest as typeof rest & Partial<StoredSubscription>;
  return { ...fields, query: keywords, frequency: frequencyOf({ delivery, digest }) };
}

function frequencyOf(sub: Pick<SubscriptionConfig, 'delivery' | 'digest'>): SubscriptionOut['frequency'] {
  return sub.delivery === 'immediate' ? 'immediate' : (sub.digest ?? 'daily');
}

function ruleInput(id: string, fields: Omit<RuleCreateBody, 'id'>): Record<string, unknown> {
  return { ...fields, id };
}

/** A patch with its nulls turned into "field removed". */
function withoutNulls<T extends object>(patch: T): { [K in keyof T]: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(patch).map(([k, v]) => [k, v === null ? undefined : v])) as { [K in keyof T]: Exclude<T[K], null> };
}

async function subscriptionOut(ctx: SelfServiceContext, view: SubscriptionView): Promise<SubscriptionOut> {
  const { sub } = view;
  const links = feedLinks(ctx.settings.publicUrl, await ctx.linkSecret(), 'subscription', sub.id);
  return {
    id: sub.id,
    source: view.source,
    status: view.status,
    email: sub.email,
    webhook: sub.webhook ? { url: sub.webhook.url, format: sub.webhook.format, signed: sub.webhook.secret !== undefined } : undefined,
    query: sub.keywords,
    rules: sub.rules,
    frequency: frequencyOf(sub),
    timezone: sub.timezone,
    languages: sub.languages,
    feeds: sub.feeds,
    maxPerDigest: sub.maxPerDigest,
    paused: sub.paused,
    origin: sub.origin,
    createdAt: sub.createdAt,
    confirmedAt: sub.confirmedAt,
    feedUrl: links.atom,
    jsonFeedUrl: links.json,
  };
}

async function ruleOut(ctx: SelfServiceContext, view: RuleView): Promise<RuleOut> {
  const { rule } = view;
  const links = feedLinks(ctx.settings.publicUrl, await ctx.linkSecret(), 'rule', rule.id);
  return { ...rule, source: view.source, feedUrl: links.atom, jsonFeedUrl: links.json };
}

async function existingSubscription(ctx: SelfServiceContext, id: string): Promise<SubscriptionView> {
  const view = await findSubscription(ctx, id);
  if (!view) throw notFound('subscription', id);
  return view;
}

async function existingRule(ctx: SelfServiceContext, id: string): Promise<RuleView> {
  const view = await findRule(ctx, id);
  if (!view) throw notFound('rule', id);
  return view;
}

function readOnlyIfYaml(source: 'yaml' | 'redis', what: string, id: string, file: string): void {
  if (source === 'yaml') throw new RequestError(409, `${what} "${id}" comes from ${file} and is read-only here: change it in the file`);
}

// --- auth and errors ---

/** Compares digests, so the comparison takes the same time whatever the token's length. */
function authorised(header: string | undefined, token: string): boolean {
  const given = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
  if (!given) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(token));
}

function apiErrorHandler(ctx: SelfServiceContext) {
  return (err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof RequestError) return reply.status(err.status).send({ error: err.message, ...err.details });
    if (err.validation) {
      const problems = err.validation.map((v) => ({
        field: v.instancePath.replace(/^\//, '').replace(/\//g, '.') || undefined,
        message: v.message ?? 'is not valid',
      }));
      const text = problems.map((p) => (p.field ? `${p.field} ${p.message}` : p.message)).join('; ');
      return reply.status(422).send({ error: `the request ${err.validationContext ?? 'body'} is not valid: ${text}`, problems });
    }
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) request.log.error({ err: err.message, stack: err.stack }, 'API request failed');
    const message =
      status === 413
        ? `The request body is larger than the ${ctx.settings.http.bodyLimitBytes} bytes this server accepts.`
        : status >= 500
          ? 'Something went wrong on our side; please try again later.'
          : err.message;
    return reply.status(status).send({ error: message });
  };
}
