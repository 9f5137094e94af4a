// Alert feeds: GET /feeds/subscriptions/{id}/atom.xml (or feed.json) and the same under
// /feeds/rules/, with the `token` of the link the API and the manage page hand out (a signed
// link: links.ts). A wrong token and an unknown id get the same 404, so links cannot be probed.
// No ADMIN_TOKEN needed: the link is the key. Thin: the entries come from alert-feed-store.ts
// and are rendered by alert-feed.ts.

import type { FastifyInstance } from 'fastify';
import { renderAtom, renderJsonFeed, type AlertFeedMeta } from '../alerts/alert-feed.js';
import { AlertFeedStore } from '../alerts/alert-feed-store.js';
import { checkToken, feedLinks, type FeedOwner } from '../alerts/links.js';
import { describeSubscription, findRule, findSubscription, type SelfServiceContext } from '../alerts/self-service.js';

const KINDS: Record<string, FeedOwner> = { subscriptions: 'subscription', rules: 'rule' };
const FORMATS = {
  'atom.xml': { type: 'application/atom+xml; charset=utf-8', render: renderAtom },
  'feed.json': { type: 'application/feed+json; charset=utf-8', render: renderJsonFeed },
} as const;

export function registerFeeds(app: FastifyInstance, ctx: SelfServiceContext): void {
  app.get<{ Params: { kind: string; id: string; file: string }; Querystring: { token?: string } }>(
    '/feeds/:kind/:id/:file',
    {
      schema: {
        params: {
          type: 'object',
          properties: { kind: { enum: Object.keys(KINDS) }, id: { type: 'string', maxLength: 200 }, file: { enum: Object.keys(FORMATS) } },
          required: ['kind', 'id', 'file'],
        },
        querystring: { type: 'object', properties: { token: { type: 'string', maxLength: 200 } } },
      },
    },
    async (request, reply) => {
      const kind = KINDS[request.params.kind] as FeedOwner;
      const { id } = request.params;
      const format = FORMATS[request.params.file as keyof typeof FORMATS];
      const secret = await ctx.linkSecret();
      const title = checkToken(secret, 'feed', `${kind}:${id}`, request.query.token ?? '') === 'valid' ? await feedTitle(ctx, kind, id) : undefined;
      if (!title) {
        return reply.status(404).type('application/json').send({ error: 'There is no feed at this address: check that the link was copied whole.' });
      }
      const links = feedLinks(ctx.settings.publicUrl, secret, kind, id);
      const meta: AlertFeedMeta = { title, id: `urn:newswatch:${kind}:${id}`, atomUrl: links.atom, jsonUrl: links.json, home: ctx.settings.publicUrl };
      const entries = await new AlertFeedStore(ctx.redis, ctx.keys).list({ kind, id });
      // The URL is a secret: keep it out of Referer headers and shared caches.
      return reply.header('cache-control', 'private, max-age=60').header('referrer-policy', 'no-referrer').type(format.type).send(format.render(meta, entries));
    },
  );
}

async function feedTitle(ctx: SelfServiceContext, kind: FeedOwner, id: string): Promise<string | undefined> {
  if (kind === 'rule') {
    const view = await findRule(ctx, id);
    return view && `Newswatch rule: ${view.rule.name ?? view.rule.id}`;
  }
  const view = await findSubscription(ctx, id);
  return view && `Newswatch alerts: ${describeSubscription(view.sub, (ruleId) => ctx.directory.ruleName(ruleId))}`;
}
