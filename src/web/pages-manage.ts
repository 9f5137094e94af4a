// The pages behind the links in emails: confirm a subscription (double opt-in), manage an
// address's subscriptions, one-click unsubscribe (RFC 8058), and "send me my manage link".
// Rules: a GET never changes anything (mail scanners fetch links), it shows a page with a button
// that POSTs; links are signed (alerts/links.ts, alerts/unsubscribe.ts) and checked on every
// request; forms carry the CSRF token, except the RFC 8058 one-click POST, which a mail client
// sends without cookies and which the signed link alone authorises.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_DAY, DEFAULT_TIME, describeSchedule, scheduleOf, WEEKDAYS } from '../alerts/frequency.js';
import { feedLinks } from '../alerts/links.js';
import { checkManageToken, manageUrl, sendManageLink, subscriptionsOf, unsubscribe } from '../alerts/manage.js';
import { queryProblem } from '../alerts/preview.js';
import { checkConfirmToken, confirmSubscription, deleteSubscription, describeSubscription, findSubscription, RequestError, updateSubscription } from '../alerts/self-service.js';
import { SubscriptionStore, type StoredSubscription } from '../alerts/subscription-store.js';
import { verifyUnsubscribeToken } from '../alerts/unsubscribe.js';
import { formValues, scheduleOfForm, type PageKit, type PagesContext } from './pages.js';

const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, 1_000) : '');

export async function registerManagePages(app: FastifyInstance, ctx: PagesContext, kit: PageKit): Promise<void> {
  const { render, message, limited } = kit;
  const forms = limited(ctx.settings.pages.formsPerMinute);
  const base = new URL(ctx.settings.publicUrl).pathname.replace(/\/$/, '');
  const secret = () => ctx.linkSecret();
  const what = (sub: StoredSubscription) => describeSubscription(sub, (id) => ctx.directory.ruleName(id));

  // --- confirm ---

  app.get('/confirm', async (request, reply) => {
    const q = request.query as Record<string, unknown>;
    const [id, token] = [str(q.s), str(q.t)];
    const check = checkConfirmToken(await secret(), id, token);
    if (check === 'expired') return message(reply, 410, 'This link has expired', 'Confirmation links work for a limited time. Subscribe again on the front page to get a new one.');
    if (check !== 'valid') return message(reply, 404, 'This link does not work', 'Copy the whole link from the email into the address bar, or subscribe again.');
    const store = new SubscriptionStore(ctx.redis, ctx.keys);
    if (await store.get(id)) return message(reply, 200, 'Already confirmed', 'This subscription is on; alerts come to your inbox.');
    const pending = await store.getPending(id);
    if (!pending) return message(reply, 410, 'This subscription has expired', 'It was not confirmed in time. Subscribe again on the front page.');
    return render(reply, 'message', {
      title: 'Confirm your alerts',
      heading: 'Confirm your alerts',
      paragraphs: [`Alerts to ${pending.email} about: ${what(pending)}, ${describeSchedule(scheduleOf(pending))}.`],
      button: { action: `${base}/confirm`, label: 'Confirm', fields: { _csrf: reply.generateCsrf(), s: id, t: token } },
    });
  });

  app.post('/confirm', { preHandler: app.csrfProtection, config: forms }, async (request, reply) => {
    const body = request.body as Record<string, unknown>;
    const [id, token] = [str(body.s), str(body.t)];
    const check = checkConfirmToken(await secret(), id, token);
    if (check !== 'valid') return message(reply, check === 'expired' ? 410 : 404, 'This link does not work', 'Subscribe again on the front page to get a new link.');
    const confirmed = (await confirmSubscription(ctx, id)) ?? (await new SubscriptionStore(ctx.redis, ctx.keys).get(id));
    if (!confirmed?.email) return message(reply, 410, 'This subscription has expired', 'It was not confirmed in time. Subscribe again on the front page.');
    return render(reply, 'message', {
      title: 'You are subscribed',
      heading: 'You are subscribed',
      paragraphs: [`Alerts about ${what(confirmed)} will come to ${confirmed.email}, ${describeSchedule(scheduleOf(confirmed))}. Every email has a link to change or stop them.`],
      link: { href: manageUrl(ctx.settings.publicUrl, await secret(), confirmed.email), label: 'Manage your alerts' },
    });
  });

  // --- manage ---

  /** The address of a valid manage link in the query or body; undefined (and a 404 page sent) otherwise. */
  const manageAddress = async (fields: Record<string, unknown>, reply: FastifyReply): Promise<{ address: string; token: string } | undefined> => {
    const [address, token] = [str(fields.a), str(fields.t)];
    if (address && token && checkManageToken(await secret(), address, token)) return { address, token };
    message(reply, 404, 'This link does not work', 'Copy the whole link from the email into the address bar, or ask for a new one on the front page.');
    return undefined;
  };

  const managePage = async (reply: FastifyReply, address: string, token: string, notice?: string, status = 200) => {
    const subs = await subscriptionsOf(ctx, address);
    const key = await secret();
    return render(
      reply,
      'manage',
      {
        title: 'Your alerts',
        address,
        token,
        notice,
        csrf: reply.generateCsrf(),
        weekdays: WEEKDAYS,
        subs: subs.map((sub) => {
          const schedule = scheduleOf(sub);
          return {
            id: sub.id,
            what: what(sub),
            keywords: sub.keywords,
            paused: sub.paused,
            schedule: describeSchedule(schedule),
            frequency: schedule.frequency,
            time: schedule.time ?? DEFAULT_TIME,
            day: schedule.day ?? DEFAULT_DAY,
            timezone: schedule.timezone,
            feed: feedLinks(ctx.settings.publicUrl, key, 'subscription', sub.id),
          };
        }),
      },
      status,
    );
  };

  app.get('/manage', async (request, reply) => {
    const who = await manageAddress(request.query as Record<string, unknown>, reply);
    if (who) return managePage(reply, who.address, who.token);
  });

  app.post('/manage', { preHandler: app.csrfProtection, config: forms }, async (request, reply) => {
    const body = request.body as Record<string, unknown>;
    const who = await manageAddress(body, reply);
    if (!who) return;
    const action = str(body.action);
    const subs = await subscriptionsOf(ctx, who.address);
    if (action === 'leave') {
      for (const sub of subs) await deleteSubscription(ctx, sub.id);
      return message(reply, 200, 'You have left', `${who.address} gets no more alerts from here. You can subscribe again at any time.`);
    }
    const sub = subs.find((s) => s.id === str(body.s));
    if (!sub) return managePage(reply, who.address, who.token, 'That subscription is gone already.', 404);
    try {
      if (action === 'delete') {
        await deleteSubscription(ctx, sub.id);
        return managePage(reply, who.address, who.token, `Deleted: ${what(sub)}.`);
      }
      if (action === 'pause' || action === 'resume') {
        await updateSubscription(ctx, sub, { ...sub, paused: action === 'pause' });
        return managePage(reply, who.address, who.token, `${action === 'pause' ? 'Paused' : 'Resumed'}: ${what(sub)}.`);
      }
      if (action === 'update') {
        const values = formValues(body);
        const schedule = scheduleOfForm(values);
        if (typeof schedule === 'string') return managePage(reply, who.address, who.token, schedule, 422);
        let keywords = sub.keywords;
        if (sub.keywords !== undefined) {
          const problem = queryProblem(values.query, { maxLength: ctx.settings.pages.maxQueryLength, maxTerms: ctx.settings.pages.maxQueryTerms });
          if (problem) return managePage(reply, who.address, who.token, `The words to watch for do not work: ${problem.message}.`, 422);
          keywords = values.query.trim();
        }
        const after: StoredSubscription = { ...sub, keywords, ...schedule };
        await updateSubscription(ctx, sub, after);
        return managePage(reply, who.address, who.token, `Saved: ${what(after)}, ${describeSchedule(scheduleOf(after))}.`);
      }
    } catch (err) {
      if (err instanceof RequestError) return managePage(reply, who.address, who.token, err.message, err.status);
      throw err;
    }
    return managePage(reply, who.address, who.token, 'Choose one of the buttons.', 422);
  });

  app.post('/manage-link', { preHandler: app.csrfProtection, config: forms }, async (request, reply) => {
    const address = formValues(request.body).email;
    if (/^[^\s@]+@[^\s@]+$/.test(address)) await sendManageLink(ctx, address);
    return message(reply, 200, 'Check your inbox', `If ${address} has alerts here, a link to manage them is on its way.`);
  });

  // --- one-click unsubscribe (RFC 8058) ---

  const unsubscribeTarget = async (request: FastifyRequest): Promise<{ id: string; token: string } | undefined> => {
    const q = request.query as Record<string, unknown>;
    const [id, token] = [str(q.s), str(q.t)];
    return id && token && verifyUnsubscribeToken(await secret(), id, token) ? { id, token } : undefined;
  };

  app.get('/unsubscribe', async (request, reply) => {
    const target = await unsubscribeTarget(request);
    if (!target) return message(reply, 404, 'This link does not work', 'Copy the whole link from the email into the address bar.');
    const query = new URLSearchParams({ s: target.id, t: target.token }).toString();
    const found = await findSubscription(ctx, target.id);
    return render(reply, 'message', {
      title: 'Unsubscribe',
      heading: 'Stop these alerts?',
      paragraphs: [
        found ? `Alerts about: ${describeSubscription(found.sub, (id) => ctx.directory.ruleName(id))}.` : 'This subscription has ended already.',
        'Press the button and no more emails come for this subscription.',
      ],
      button: { action: `${base}/unsubscribe?${query}`, label: 'Unsubscribe', danger: true, fields: { _csrf: reply.generateCsrf() } },
    });
  });

  app.post(
    '/unsubscribe',
    {
      config: forms,
      // RFC 8058: a mail client POSTs List-Unsubscribe=One-Click without cookies; the signed link is the authority.
      preHandler: (request, reply, done) => {
        const body = request.body as Record<string, unknown> | undefined;
        if (body?.['List-Unsubscribe'] === 'One-Click') return done();
        return app.csrfProtection.call(app, request, reply, done);
      },
    },
    async (request, reply) => {
      const target = await unsubscribeTarget(request);
      if (!target) return message(reply, 404, 'This link does not work', 'Copy the whole link from the email into the address bar.');
      const ended = await unsubscribe(ctx, target.id);
      return message(reply, 200, 'Unsubscribed', ended ? `No more alerts about ${ended.what}.` : 'This subscription had ended already.');
    },
  );
}
