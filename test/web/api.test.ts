// The JSON API under /api/v1 against a real Redis and a real SMTP server: every endpoint, the
// token, validation (422 with a query's parse error and its offset), 404, 409 for YAML entries,
// 429 and the body cap; the OpenAPI document lists every route.

import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SubscriptionStore } from '../../src/alerts/subscription-store.js';
import type { Settings } from '../../src/queue/context.js';
import { createWebServer, listen } from '../../src/web/server.js';
import type { Pipeline } from '../../workers/index.js';
import { testPipeline, writeConfig } from '../helpers/pipeline.js';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp.js';

const TOKEN = 'test-admin-token-0123456789';
const silent = pino({ level: 'silent' });

let smtp: TestSmtp;
let pipeline: Pipeline | undefined;
let close: (() => Promise<void>) | undefined;

beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterEach(async () => {
  await close?.();
  close = undefined;
  await pipeline?.close();
  pipeline = undefined;
  smtp.messages.length = 0;
});
afterAll(async () => {
  await smtp.close();
});

interface Api {
  url: string;
  /** "METHOD /path" of every route the server registered. */
  registered: string[];
  p: Pipeline;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }>;
}

async function start(settings: Partial<Settings> = {}): Promise<Api> {
  const dir = await writeConfig({
    // A feed host is allowed as a webhook target too: keep it off 127.0.0.1 here.
    feeds: 'feeds:\n  - { id: wire, url: "http://feeds.example.org/wire.xml" }\n',
    rules: "rules:\n  - { id: ceasefire, name: Ceasefire talks, query: 'ukraine AND ceasefire' }\n",
    subscriptions: 'subscriptions:\n  - { id: desk, email: desk@example.org, rules: [ceasefire] }\n',
  });
  const p = await testPipeline(dir, { smtpUrl: smtp.url });
  pipeline = p;
  p.ctx.settings = {
    ...p.ctx.settings,
    adminToken: TOKEN,
    publicUrl: 'https://news.example.org',
    http: { ...p.ctx.settings.http, port: 0 },
    ...settings,
  };
  await p.ctx.directory.ready;
  const app = createWebServer({ settings: p.ctx.settings, log: silent, ctx: p.ctx });
  const registered: string[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) registered.push(`${method} ${route.url}`);
  });
  const url = await listen(app, p.ctx.settings);
  close = () => app.close();
  const call: Api['call'] = async (method, path, body, headers = { authorization: `Bearer ${TOKEN}` }) => {
    const res = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  return { url, p, call, registered };
}

describe('the API and its token', () => {
  it('is off without ADMIN_TOKEN, and says how to turn it on', async () => {
    const { call } = await start({ adminToken: undefined });
    const res = await call('GET', '/subscriptions');
    expect(res.status).toBe(404);
    expect(res.body.error).toMatch(/set ADMIN_TOKEN/);
  });

  it('answers 401 without the token or with a wrong one', async () => {
    const { call } = await start();
    const none = await call('GET', '/subscriptions', undefined, {});
    expect(none.status).toBe(401);
    expect(none.body.error).toMatch(/Authorization: Bearer/);
    expect((await call('GET', '/subscriptions', undefined, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await call('POST', '/rules', { query: 'x' }, { authorization: `Basic ${TOKEN}` })).status).toBe(401);
    expect((await call('GET', '/subscriptions')).status).toBe(200);
  });

  it('answers 429 once a client has made api.requestsPerMinute requests, before looking at the token', async () => {
    const { call, p } = await start();
    p.ctx.settings.api = { ...p.ctx.settings.api, requestsPerMinute: 3 };
    // The limit is read when the server starts: start again with it.
    await close?.();
    const app = createWebServer({ settings: p.ctx.settings, log: silent, ctx: p.ctx });
    const url = await listen(app, p.ctx.settings);
    close = () => app.close();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await fetch(`${url}/api/v1/rules`, { headers: i === 3 ? {} : { authorization: `Bearer ${TOKEN}` } })).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const res = await fetch(`${url}/api/v1/rules`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await res.json()).toEqual({ error: expect.stringMatching(/^Too many API requests from this address: at most 3 a minute; try again in \d+ s\.$/) });
    void call;
  });

  it('refuses a body over web.bodyLimit with 413', async () => {
    const { call } = await start({ http: { host: '127.0.0.1', port: 0, bodyLimitBytes: 1024 } });
    const res = await call('POST', '/rules', { query: 'x'.repeat(2000) });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatch(/larger than the 1024 bytes/);
  });
});

describe('subscriptions through the API', () => {
  it('creates an email subscription as pending and sends the confirmation email with a link under PUBLIC_URL', async () => {
    const { call, p } = await start();
    const res = await call('POST', '/subscriptions', { email: 'reader@example.org', query: 'ukraine ceasefire', frequency: 'daily', timezone: 'Europe/Kyiv' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ source: 'redis', status: 'pending', email: 'reader@example.org', query: 'ukraine ceasefire', frequency: 'daily', timezone: 'Europe/Kyiv', origin: 'api', confirmationSent: true });
    expect(res.body.id).toMatch(/^s-[0-9a-f]{16}$/);
    expect(res.body.feedUrl).toMatch(new RegExp(`^https://news\\.example\\.org/feeds/subscriptions/${res.body.id as string}/atom\\.xml\\?token=[\\w-]{43}$`));
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]?.subject).toBe('Confirm your Newswatch alerts: ukraine ceasefire');
    expect(smtp.messages[0]?.text).toMatch(new RegExp(`https://news\\.example\\.org/confirm\\?s=${res.body.id as string}&t=`));
    // Pending: nothing is matched for it yet.
    await p.ctx.directory.caughtUp();
    expect(p.ctx.directory.subscription(res.body.id as string)).toBeUndefined();

    const again = await call('POST', '/subscriptions', { email: 'Reader@example.org', query: 'ukraine  ceasefire' });
    expect([again.status, again.body.id]).toEqual([200, res.body.id]);
    expect(smtp.messages).toHaveLength(1);
  });

  it('creates a confirmed subscription at once with confirmed: true, which every directory then has', async () => {
    const { call, p } = await start();
    const res = await call('POST', '/subscriptions', { id: 'ops-hook', webhook: { url: 'http://93.184.215.14/hook', secret: 'whsec_abc' }, rules: ['ceasefire'], confirmed: true });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ id: 'ops-hook', status: 'active', webhook: { url: 'http://93.184.215.14/hook', format: 'standard', signed: true }, rules: ['ceasefire'], frequency: 'immediate' });
    expect(JSON.stringify(res.body)).not.toContain('whsec_abc');
    expect(smtp.messages).toHaveLength(0);
    await p.ctx.directory.caughtUp();
    expect(p.ctx.directory.subscription('ops-hook')?.webhook?.secret).toBe('whsec_abc');
    expect((await call('POST', '/subscriptions', { id: 'ops-hook', email: 'x@example.org', rules: ['ceasefire'] })).status).toBe(409);
  });

  it('lists YAML subscriptions too, marked source yaml and read-only', async () => {
    const { call } = await start();
    await call('POST', '/subscriptions', { id: 'mine', email: 'me@example.org', query: 'ceasefire', confirmed: true });
    await call('POST', '/subscriptions', { id: 'later', email: 'later@example.org', query: 'ceasefire' });
    const list = await call('GET', '/subscriptions');
    expect(list.status).toBe(200);
    const subs = list.body.subscriptions as Record<string, unknown>[];
    expect(subs.map((s) => [s.id, s.source, s.status])).toEqual([
      ['desk', 'yaml', 'active'],
      ['mine', 'redis', 'active'],
      ['later', 'redis', 'pending'],
    ]);
    expect((await call('GET', '/subscriptions/desk')).body).toMatchObject({ id: 'desk', source: 'yaml', email: 'desk@example.org' });
    const patch = await call('PATCH', '/subscriptions/desk', { paused: true });
    expect(patch.status).toBe(409);
    expect(patch.body.error).toBe('subscription "desk" comes from subscriptions.yaml and is read-only here: change it in the file');
    expect((await call('DELETE', '/subscriptions/desk')).status).toBe(409);
  });

  it('changes only the fields given, confirms a pending one, and deletes', async () => {
    const { call, p } = await start();
    const created = await call('POST', '/subscriptions', { email: 'me@example.org', query: 'ceasefire', confirmed: true });
    const id = created.body.id as string;
    const changed = await call('PATCH', `/subscriptions/${id}`, { query: 'ukraine AND truce', frequency: { cron: '0 7 * * 1-5' } });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ id, email: 'me@example.org', query: 'ukraine AND truce', frequency: { cron: '0 7 * * 1-5' }, status: 'active' });
    expect(await p.ctx.queues.digest.getJobScheduler(`digest-${id}`)).toMatchObject({ pattern: '0 7 * * 1-5' });
    expect((await call('PATCH', `/subscriptions/${id}`, { paused: true })).body.status).toBe('paused');
    expect((await call('GET', `/subscriptions/${id}`)).body).toMatchObject({ query: 'ukraine AND truce', paused: true });

    const pending = await call('POST', '/subscriptions', { email: 'other@example.org', query: 'ceasefire' });
    const pid = pending.body.id as string;
    expect((await call('PATCH', `/subscriptions/${pid}`, { query: 'x' })).status).toBe(409);
    const confirmed = await call('PATCH', `/subscriptions/${pid}`, { confirmed: true });
    expect(confirmed.body).toMatchObject({ id: pid, status: 'active' });
    expect(confirmed.body.confirmedAt).toEqual(expect.any(String));

    expect((await call('DELETE', `/subscriptions/${id}`)).status).toBe(204);
    expect((await call('GET', `/subscriptions/${id}`)).status).toBe(404);
    expect(await new SubscriptionStore(p.ctx.redis, p.ctx.keys).get(id)).toBeUndefined();
    expect(await p.ctx.queues.digest.getJobScheduler(`digest-${id}`)).toBeUndefined();
    const gone = await call('DELETE', `/subscriptions/${id}`);
    expect(gone).toEqual({ status: 404, body: { error: `there is no subscription "${id}"` } });
  });

  it('answers 422 with the parse error, its offset and a caret when the query does not parse', async () => {
    const { call } = await start();
    const res = await call('POST', '/subscriptions', { email: 'me@example.org', query: '(ukraine OR russia ceasefire' });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ field: 'query', offset: 0 });
    expect(res.body.error).toMatch(/^query does not parse: /);
    expect(res.body.caret).toContain('(ukraine OR russia ceasefire\n  ^');

    // A PATCH is checked the same way, and changes nothing when refused.
    const created = await call('POST', '/subscriptions', { email: 'me@example.org', query: 'ceasefire', confirmed: true });
    const patched = await call('PATCH', `/subscriptions/${created.body.id as string}`, { query: 'ceasefire AND' });
    expect(patched.status).toBe(422);
    expect(patched.body).toMatchObject({ field: 'query', offset: 10 });
    expect(patched.body.caret).toContain('ceasefire AND\n            ^^^');
    expect((await call('GET', `/subscriptions/${created.body.id as string}`)).body.query).toBe('ceasefire');
  });

  it('answers 422 naming the field for bad shapes, values, unknown rules and private webhook targets', async () => {
    const { call } = await start();
    const cases: [unknown, RegExp][] = [
      [{ email: 'me@example.org', query: 'x', colour: 'red' }, /must NOT have additional properties/],
      [{ email: 'me@example.org', query: 'x', frequency: 'sometimes' }, /frequency/],
      [{ email: 'not-an-address', query: 'x' }, /email: must be an email address/],
      [{ query: 'x' }, /exactly one target/],
      [{ email: 'me@example.org' }, /needs `rules:`/],
      [{ email: 'me@example.org', rules: ['nope'] }, /rules: there is no rule "nope"/],
      [{ email: 'me@example.org', query: 'x', timezone: 'Mars/Base' }, /timezone: not a time zone/],
      [{ webhook: { url: 'http://127.0.0.1:8080/hook' }, query: 'x' }, /^webhook URL http:\/\/127\.0\.0\.1:8080\/hook: refused to connect to 127\.0\.0\.1: a loopback address.*fetch\.allowAddresses/],
      [{ webhook: { url: 'http://[::ffff:10.1.2.3]/hook' }, query: 'x' }, /a private address/],
      [{ webhook: { url: 'http://169.254.169.254/latest' }, query: 'x' }, /link-local \(cloud metadata\)/],
    ];
    for (const [body, message] of cases) {
      const res = await call('POST', '/subscriptions', body);
      expect([res.status, res.body.error]).toEqual([422, expect.stringMatching(message)]);
    }
    expect((await call('POST', '/subscriptions', '{"email": ')).status).toBe(400);
  });

  it('lets webhooks reach the addresses settings.yaml fetch.allowAddresses lists', async () => {
    const { call, p } = await start();
    p.ctx.settings.allowAddresses = ['127.0.0.0/8'];
    const res = await call('POST', '/subscriptions', { webhook: { url: 'http://127.0.0.1:8080/hook' }, query: 'x', confirmed: true });
    expect(res.status).toBe(201);
  });

  it('answers 404 for an unknown subscription', async () => {
    const { call } = await start();
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      const res = await call(method, '/subscriptions/nobody', method === 'PATCH' ? { paused: true } : undefined);
      expect([method, res.status, res.body.error]).toEqual([method, 404, 'there is no subscription "nobody"']);
    }
  });
});

describe('rules through the API', () => {
  it('creates, lists, reads, changes and deletes a rule; YAML rules are read-only', async () => {
    const { call, p } = await start();
    const created = await call('POST', '/rules', { id: 'truce', name: 'Truce', query: 'truce OR ceasefire', none: ['gaza'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'truce', source: 'redis', name: 'Truce', query: 'truce OR ceasefire', none: ['gaza'], public: false });
    expect(created.body.feedUrl).toMatch(/^https:\/\/news\.example\.org\/feeds\/rules\/truce\/atom\.xml\?token=/);
    const generated = await call('POST', '/rules', { query: 'armistice' });
    expect(generated.body.id).toMatch(/^r-[0-9a-f]{16}$/);

    const list = await call('GET', '/rules');
    expect((list.body.rules as { id: string; source: string }[]).map((r) => [r.id, r.source])).toEqual([
      ['ceasefire', 'yaml'],
      ['truce', 'redis'],
      [generated.body.id, 'redis'],
    ]);
    const changed = await call('PATCH', '/rules/truce', { none: null, public: true });
    expect(changed.body).toMatchObject({ id: 'truce', name: 'Truce', query: 'truce OR ceasefire', public: true });
    expect(changed.body.none).toBeUndefined();
    await p.ctx.directory.caughtUp();
    expect(p.ctx.directory.rule('truce')?.public).toBe(true);

    // A subscription listening to it keeps it from being deleted.
    const sub = await call('POST', '/subscriptions', { email: 'me@example.org', rules: ['truce'], confirmed: true });
    const refused = await call('DELETE', '/rules/truce');
    expect(refused).toEqual({ status: 409, body: { error: `rule "truce" is used by the subscriptions "${sub.body.id as string}"; take it out of them first` } });
    await call('DELETE', `/subscriptions/${sub.body.id as string}`);
    expect((await call('DELETE', '/rules/truce')).status).toBe(204);
    expect((await call('GET', '/rules/truce')).status).toBe(404);

    expect((await call('GET', '/rules/ceasefire')).body).toMatchObject({ source: 'yaml', query: 'ukraine AND ceasefire' });
    expect((await call('PATCH', '/rules/ceasefire', { name: 'x' })).status).toBe(409);
    expect((await call('DELETE', '/rules/ceasefire')).status).toBe(409);
    expect((await call('POST', '/rules', { id: 'ceasefire', query: 'x' })).status).toBe(409);
  });

  it('answers 422 naming the list item whose query does not parse, with its offset', async () => {
    const { call } = await start();
    const res = await call('POST', '/rules', { query: 'ukraine', all: ['ceasefire', 'talks AND'] });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ field: 'all[1]', offset: expect.any(Number) });
    expect(res.body.error).toMatch(/^all\[1\] does not parse: /);
    expect((await call('POST', '/rules', { name: 'nothing to match' })).body.error).toMatch(/needs `query:`/);
    expect((await call('PATCH', '/rules/nothing', { name: 'x' })).status).toBe(404);
    expect((await call('DELETE', '/rules/nothing')).status).toBe(404);
    await call('POST', '/rules', { id: 'truce', query: 'truce' });
    const patched = await call('PATCH', '/rules/truce', { query: '"truce talks' });
    expect(patched.status).toBe(422);
    expect(patched.body).toMatchObject({ field: 'query', offset: 0 });
    expect(patched.body.error).toMatch(/^query does not parse: unterminated phrase/);
    expect((await call('GET', '/rules/truce')).body.query).toBe('truce');
  });
});

describe('the OpenAPI document', () => {
  it('is served without the token and describes every API route', async () => {
    const { url, registered } = await start();
    const res = await fetch(`${url}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const apiRoutes = registered.filter((r) => r.includes(' /api/v1/') && !r.endsWith('/openapi.json') && !r.startsWith('HEAD '));
    expect(apiRoutes.length).toBeGreaterThanOrEqual(10);
    expect(routes.sort()).toEqual(apiRoutes.map((r) => r.replace(/:(\w+)/g, '{$1}')).sort());
    expect(routes).toContain('DELETE /api/v1/subscriptions/{id}');
    const post = doc.paths['/api/v1/subscriptions']?.post as { requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> } };
    expect(Object.keys(post.requestBody.content['application/json']?.schema.properties ?? {})).toContain('confirmed');
  });
});
