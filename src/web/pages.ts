// The reader's pages: the subscribe form at `/` with its live preview (`/preview`), served as
// HTML from Eta templates that escape every value. Rules (house style, "The web side"):
// - Pages work without JavaScript: the form's "Preview matches" button shows on the server what
//   assets/preview.js shows as the query is typed.
// - Every form carries a CSRF token (a secret in an HttpOnly SameSite cookie, @fastify/csrf-
//   protection); every state change is a POST; no inline script or style (a strict CSP).
// - Requests are rate limited per client IP across every web process (@fastify/rate-limit on
//   Redis); queries are capped in length and terms before they are parsed (alerts/preview.ts).
// Routes stay thin: the work is in src/alerts/.

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyRateLimit from '@fastify/rate-limit';
import { Eta } from 'eta';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_DAY, DEFAULT_TIME, deliveryOf, FREQUENCIES, TIME_OF_DAY, WEEKDAYS, type Frequency, type Weekday } from '../alerts/frequency.js';
import { highlightHtml } from '../alerts/render-email.js';
import { QueryPreview, queryProblem, type PreviewResult } from '../alerts/preview.js';
import { createSubscription, RequestError, sendConfirmation, validSubscription, newId, type SelfServiceContext } from '../alerts/self-service.js';
import type { StoredSubscription } from '../alerts/subscription-store.js';
import type { SubscriptionConfig } from '../config/schema.js';
import { registerManagePages } from './pages-manage.js';

/** What the pages need of a process's context. */
export type PagesContext = SelfServiceContext;

/** What the page modules share: rendering, plain message pages, rate limits per route. */
export interface PageKit {
  render(reply: FastifyReply, template: string, data: Record<string, unknown>, status?: number): FastifyReply;
  message(reply: FastifyReply, status: number, heading: string, ...paragraphs: string[]): FastifyReply;
  limited(max: number): { rateLimit: { max: number; timeWindow: number } };
}

/** Templates and assets sit beside this file in src/; the compiled file in dist/ finds them there too. */
function sourceDir(name: string, probe: string): string {
  const here = new URL(`./${name}/`, import.meta.url);
  const fromDist = new URL(`../../../src/web/${name}/`, import.meta.url);
  return fileURLToPath([here, fromDist].find((dir) => existsSync(new URL(probe, dir))) ?? here);
}

const TEMPLATES = sourceDir('templates', 'layout.eta');
const ASSETS = sourceDir('assets', 'style.css');

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** Text with the given ranges in <mark>, all escaped: for templates' raw output. */
const marked = (text: string, highlights: { start: number; end: number }[]) => highlightHtml({ text, highlights });

/** What the subscribe form holds, as typed (every field a bounded string). */
export interface FormValues {
  email: string;
  query: string;
  rule: string;
  frequency: string;
  time: string;
  day: string;
  timezone: string;
}

const FIELD_MAX = 1_000;

/** Reads a form body field by field: strings only, bounded, CR/LF and other controls made spaces. */
export function formValues(body: unknown): FormValues {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const field = (name: string, fallback = '') => {
    const v = b[name];
    const text = typeof v === 'string' ? v : fallback;
    // eslint-disable-next-line no-control-regex
    return text.slice(0, FIELD_MAX).replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, ' ');
  };
  return {
    email: field('email').trim(),
    query: field('query'),
    rule: field('rule').trim(),
    frequency: field('frequency', 'immediate'),
    time: field('time', DEFAULT_TIME),
    day: field('day', DEFAULT_DAY),
    timezone: field('timezone', 'UTC').trim(),
  };
}

const ZONES = Intl.supportedValuesOf('timeZone');

export async function registerPages(app: FastifyInstance, ctx: PagesContext): Promise<void> {
  const { settings } = ctx;
  const web = settings.pages;
  const base = new URL(settings.publicUrl).pathname.replace(/\/$/, '');
  const eta = new Eta({ views: TEMPLATES, cache: true, autoEscape: true });
  const preview = new QueryPreview(ctx.redis, ctx.keys, settings.recent, { maxLength: web.maxQueryLength, maxTerms: web.maxQueryTerms });
  const assets = {
    'style.css': { type: 'text/css; charset=utf-8', body: readFileSync(`${ASSETS}/style.css`) },
    'preview.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(`${ASSETS}/preview.js`) },
  };

  await app.register(fastifyFormbody, { bodyLimit: settings.http.bodyLimitBytes });
  await app.register(fastifyCookie);
  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieOpts: { path: '/', sameSite: 'lax', httpOnly: true, secure: settings.publicUrl.startsWith('https:') },
  });
  await app.register(fastifyRateLimit, {
    global: false,
    redis: ctx.redis,
    nameSpace: ctx.keys.pagesRateLimit(),
    skipOnError: false,
  });
  const limited = (max: number) => ({ rateLimit: { max, timeWindow: 60_000 } });

  const render = (reply: FastifyReply, template: string, data: Record<string, unknown>, status = 200) =>
    reply
      .status(status)
      .headers({ ...SECURITY_HEADERS, 'cache-control': 'no-store' })
      .type('text/html; charset=utf-8')
      .send(eta.render(template, { base, marked, ...data }));

  const message = (reply: FastifyReply, status: number, heading: string, ...paragraphs: string[]) =>
    render(reply, 'message', { title: heading, heading, paragraphs }, status);

  // Errors of these routes (CSRF, rate limit, bad form) as a page, not JSON.
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) request.log.error({ err: err.message, stack: err.stack }, 'request failed');
    if (status === 429) return message(reply, 429, 'Too many requests', 'Please wait a minute and try again.');
    if (err.code === 'FST_CSRF_INVALID_TOKEN' || err.code === 'FST_CSRF_MISSING_SECRET') {
      return message(reply, 403, 'This form has expired', 'Please go back, reload the page and send the form again.');
    }
    if (status === 413) return message(reply, 413, 'Too much text', `The form is larger than the ${settings.http.bodyLimitBytes} bytes this server accepts.`);
    if (status >= 500) return message(reply, status, 'Something went wrong', 'Something went wrong on our side; please try again later.');
    return message(reply, status, 'That did not work', err.message);
  });

  const publicRules = () =>
    ctx.directory
      .rules()
      .filter((r) => r.public)
      .map((r) => ({ id: r.id, name: r.name ?? r.id }));

  const subscribePage = (request: FastifyRequest, reply: FastifyReply, values: FormValues, extra: { errors?: string[]; preview?: { query: string; result: PreviewResult } } = {}, status = 200) =>
    render(
      reply,
      'subscribe',
      {
        title: 'Subscribe',
        formOpen: web.publicForm,
        csrf: reply.generateCsrf(),
        values,
        errors: extra.errors ?? [],
        preview: extra.preview,
        publicRules: publicRules(),
        weekdays: WEEKDAYS,
        zones: ZONES,
        maxQueryLength: web.maxQueryLength,
      },
      status,
    );

  /** The preview of a form's query or chosen public rule; undefined when neither is given. */
  const previewOf = async (values: Pick<FormValues, 'query' | 'rule'>): Promise<{ query: string; result: PreviewResult } | undefined> => {
    if (values.rule) {
      const rule = ctx.directory.rule(values.rule);
      if (!rule?.public) return undefined;
      return { query: rule.name ?? rule.id, result: await preview.preview(rule) };
    }
    if (values.query.trim() === '') return undefined;
    return { query: values.query, result: await preview.preview(values.query) };
  };

  await ctx.directory.ready;

  app.get('/', async (request, reply) => subscribePage(request, reply, formValues({})));

  app.post('/', { preHandler: app.csrfProtection, config: limited(web.formsPerMinute) }, async (request, reply) => {
    const values = formValues(request.body);
    const action = (request.body as Record<string, unknown> | undefined)?.action;
    if (action === 'preview') {
      const shown = await previewOf(values);
      const status = shown && !shown.result.ok ? 422 : 200;
      return subscribePage(request, reply, values, { preview: shown, errors: shown ? [] : ['Type some words to watch for, or pick a topic, to see what they match.'] }, status);
    }
    if (!web.publicForm) return message(reply, 403, 'Subscriptions are closed', 'New subscriptions through this page are closed here.');
    const honeypot = (request.body as Record<string, unknown> | undefined)?.website;
    // A bot fills every field; it is told what a person is told, and nothing happens.
    if (typeof honeypot === 'string' && honeypot !== '') return checkInbox(reply, values.email);
    const checked = await subscriptionOf(ctx, values);
    if ('errors' in checked) return subscribePage(request, reply, values, { errors: checked.errors, preview: checked.preview }, 422);
    try {
      const outcome = await createSubscription(ctx, checked.sub, { origin: 'web', confirmed: false });
      // The same address and query again: no second subscription; a pending one gets its email again (within the daily limit).
      if (!outcome.created && outcome.view.status === 'pending') await sendConfirmation(ctx, outcome.view.sub as StoredSubscription);
    } catch (err) {
      if (err instanceof RequestError) return subscribePage(request, reply, values, { errors: [err.message] }, err.status);
      throw err;
    }
    return checkInbox(reply, values.email);
  });

  const checkInbox = (reply: FastifyReply, email: string) =>
    message(
      reply,
      200,
      'Check your inbox',
      `We sent a confirmation link to ${email}. Nothing else is sent until you open it and press "Confirm".`,
      `The link works for ${Math.round(settings.selfService.confirmWithinMs / 86_400_000)} days. No email? Look in your spam folder, or send the form again later.`,
    );

  await registerManagePages(app, ctx, { render, message, limited });

  app.get('/preview', { config: limited(web.previewsPerMinute) }, async (request, reply) => {
    const q = request.query as Record<string, unknown>;
    const shown = await previewOf(formValues(q));
    if (!shown) return reply.status(404).headers(SECURITY_HEADERS).send({ error: 'Give `query` (words to watch for) or `rule` (the id of a public rule).' });
    return reply.status(shown.result.ok ? 200 : 422).headers({ ...SECURITY_HEADERS, 'cache-control': 'no-store' }).send(shown.result);
  });

  app.get('/assets/:name', async (request, reply) => {
    const asset = assets[(request.params as { name: string }).name as keyof typeof assets];
    if (!asset) return reply.status(404).send({ error: 'There is nothing at this address.' });
    return reply.headers({ ...SECURITY_HEADERS, 'cache-control': 'public, max-age=3600' }).type(asset.type).send(asset.body);
  });
}

const EMAIL = /^[^\s@"<>()[\],;:\\]+@[^\s@"<>()[\],;:\\]+\.[^\s@"<>()[\],;:\\]+$/;

/** Whether an address may subscribe under web.allowedDomains (empty: any). */
export function domainAllowed(address: string, allowed: string[]): boolean {
  if (allowed.length === 0) return true;
  const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
  return allowed.some((d) => domain === d || domain.endsWith(`.${d}`));
}

/** The delivery fields a form's frequency, time, day and time zone ask for, or what is wrong with them. */
export function scheduleOfForm(values: Pick<FormValues, 'frequency' | 'time' | 'day' | 'timezone'>): Pick<SubscriptionConfig, 'delivery' | 'digest' | 'timezone'> | string {
  if (!FREQUENCIES.includes(values.frequency as Frequency)) return 'Choose how often: as it happens, once a day or once a week.';
  if (values.frequency !== 'immediate' && !TIME_OF_DAY.test(values.time)) return 'Give the time of day as HH:MM, e.g. 08:00.';
  if (values.frequency === 'weekly' && !WEEKDAYS.includes(values.day as Weekday)) return 'Choose a day of the week.';
  try {
    new Intl.DateTimeFormat('en', { timeZone: values.timezone });
  } catch {
    return `"${values.timezone}" is not a time zone; write one such as Europe/Kyiv or UTC.`;
  }
  return deliveryOf({ frequency: values.frequency as Frequency, time: values.time, day: values.day as Weekday, timezone: values.timezone });
}

/** The subscription a subscribe form asks for, checked as the YAML loader checks one, or what is wrong. */
async function subscriptionOf(ctx: PagesContext, values: FormValues): Promise<{ sub: SubscriptionConfig } | { errors: string[]; preview?: { query: string; result: PreviewResult } }> {
  const web = ctx.settings.pages;
  const errors: string[] = [];
  let preview: { query: string; result: PreviewResult } | undefined;
  if (!EMAIL.test(values.email) || values.email.length > 254) errors.push('Give an email address such as name@example.org.');
  else if (!domainAllowed(values.email, web.allowedDomains)) errors.push(`Only addresses at ${web.allowedDomains.join(', ')} may subscribe here.`);
  const rule = values.rule ? ctx.directory.rule(values.rule) : undefined;
  if (values.rule && !rule?.public) errors.push('Pick a topic from the list, or leave it empty and type your own words.');
  if (!values.rule) {
    const problem = queryProblem(values.query, { maxLength: web.maxQueryLength, maxTerms: web.maxQueryTerms });
    if (problem) {
      errors.push(`The words to watch for do not work yet: ${problem.message}.`);
      preview = { query: values.query, result: { ok: false, problem } };
    }
  }
  const schedule = scheduleOfForm(values);
  if (typeof schedule === 'string') errors.push(schedule);
  if (errors.length > 0 || typeof schedule === 'string') return { errors, preview };
  const input = { id: newId('subscription'), email: values.email, ...(rule ? { rules: [rule.id] } : { keywords: values.query.trim() }), ...schedule };
  try {
    return { sub: await validSubscription(ctx, input, 'web') };
  } catch (err) {
    if (err instanceof RequestError) return { errors: [err.message] };
    throw err;
  }
}
