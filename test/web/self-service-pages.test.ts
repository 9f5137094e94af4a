// The reader's own subscriptions through the pages, end to end on real Redis, SMTP and HTTP:
// double opt-in (nothing sent before the confirmation; a GET never confirms), the same address
// and query kept once, the daily limit of confirmation emails, the manage page through its signed
// link, "send me my manage link", and one-click unsubscribe (RFC 8058) from the header of a real
// alert email, after which nothing more arrives.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { manageUrl } from '../../src/alerts/manage.js';
import { createSubscription, validSubscription } from '../../src/alerts/self-service.js';
import { SubscriptionStore } from '../../src/alerts/subscription-store.js';
import type { Settings } from '../../src/queue/context.js';
import type { Pipeline } from '../../workers/index.js';
import { rss, type FeedItem } from '../helpers/feeds.js';
import { startHttpServer, type TestServer } from '../helpers/http.js';
import { pollAllAndDrain, testPipeline, writeConfig } from '../helpers/pipeline.js';
import { linkIn, listUnsubscribeUrl, mailsTo, rawHeader, startSmtpServer, waitForMail, type TestSmtp } from '../helpers/smtp.js';
import { Session, startWeb, type TestWeb } from '../helpers/web.js';

let http: TestServer;
let smtp: TestSmtp;
let items: FeedItem[] = [];
let running: { p: Pipeline; web: TestWeb } | undefined;

beforeAll(async () => {
  http = await startHttpServer();
  smtp = await startSmtpServer();
  http.route('/wire.xml', (_req, res) => void res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss(items, 'Wire')));
});
afterEach(async () => {
  await running?.web.close();
  await running?.p.close();
  running = undefined;
  smtp.messages.length = 0;
  items = [];
});
afterAll(async () => {
  await smtp.close();
  await http.close();
});

async function start(pages: Partial<Settings['pages']> = {}, selfService: Partial<Settings['selfService']> = {}) {
  const dir = await writeConfig({
    feeds: `feeds:\n  - { id: wire, url: "${http.url}/wire.xml" }\n`,
    rules: "rules:\n  - { id: grain, name: Black Sea grain, query: 'grain AND corridor', public: true }\n",
    subscriptions: 'subscriptions:\n  - { id: desk, email: desk@example.org, keywords: ceasefire }\n',
  });
  const p = await testPipeline(dir, { smtpUrl: smtp.url });
  const settings = p.ctx.settings;
  settings.pages = { ...settings.pages, ...pages };
  settings.selfService = { ...settings.selfService, ...selfService };
  const web = await startWeb(p);
  settings.publicUrl = web.url;
  running = { p, web };
  return { p, web, store: new SubscriptionStore(p.ctx.redis, p.ctx.keys) };
}

const to = (address: string) => mailsTo(smtp, address);

const FORM = { action: 'subscribe', email: 'reader@example.org', query: 'ceasefire talks', frequency: 'immediate', time: '08:00', day: 'monday', timezone: 'UTC' };

async function subscribe(web: TestWeb, fields: Partial<typeof FORM> = {}) {
  const s = new Session(web.url);
  await s.get('/');
  return { session: s, page: await s.post('/', { ...FORM, ...fields }) };
}

describe('double opt-in', () => {
  it('sends a confirmation link and nothing else; a GET of it only shows a button, the POST confirms', async () => {
    const { p, web, store } = await start();
    const { page } = await subscribe(web);
    expect(page.status).toBe(200);
    expect(page.html).toContain('Check your inbox');
    await waitForMail(smtp, 'reader@example.org', 1);
    const [mail] = to('reader@example.org');
    expect(mail!.subject).toBe('Confirm your Newswatch alerts: ceasefire talks');
    const link = linkIn(mail!, 'confirm');
    expect(link.startsWith(`${web.url}/confirm?`)).toBe(true);
    const id = new URL(link).searchParams.get('s')!;
    expect(await store.getPending(id)).toMatchObject({ email: 'reader@example.org', keywords: 'ceasefire talks', origin: 'web' });

    const s = new Session(web.url);
    const confirmPage = await s.get(link);
    expect(confirmPage.html).toContain('<button type="submit">Confirm</button>');
    expect(await store.get(id)).toBeUndefined();

    const done = await s.post('/confirm', { s: id, t: new URL(link).searchParams.get('t')! });
    expect(done.status).toBe(200);
    expect(done.html).toContain('You are subscribed');
    expect(done.html).toContain(`${web.url}/manage?a=reader%40example.org&amp;t=`);
    expect(await store.get(id)).toMatchObject({ confirmedAt: expect.any(String) });
    await p.ctx.directory.caughtUp();
    expect(p.ctx.directory.subscription(id)?.keywords).toBe('ceasefire talks');

    // The same address and query again, once confirmed: no second subscription and no email.
    expect((await subscribe(web, { query: 'ceasefire  talks' })).page.html).toContain('Check your inbox');
    expect(await store.idsOf('reader@example.org')).toEqual([id]);
    expect(await store.allPending()).toEqual([]);
    expect(to('reader@example.org')).toHaveLength(1);
  });

  it('keeps the same address and query once, and sends at most web.mailsPerAddressPerDay confirmations a day', async () => {
    const { web, store } = await start({}, { mailsPerAddressPerDay: 3 });
    await subscribe(web);
    await subscribe(web, { query: '  ceasefire   talks ' });
    expect((await store.allPending()).filter((s) => s.email === 'reader@example.org')).toHaveLength(1);
    await subscribe(web, { query: 'grain' });
    await subscribe(web, { query: 'wheat' });
    await waitForMail(smtp, 'reader@example.org', 3);
    expect((await store.allPending()).filter((s) => s.email === 'reader@example.org')).toHaveLength(3);
    await new Promise((r) => setTimeout(r, 300));
    expect(to('reader@example.org')).toHaveLength(3);
  });

  it('refuses a forged or expired confirmation link', async () => {
    const { web } = await start({}, { confirmWithinMs: 1 });
    await subscribe(web);
    await waitForMail(smtp, 'reader@example.org', 1);
    const link = linkIn(to('reader@example.org')[0]!, 'confirm');
    await new Promise((r) => setTimeout(r, 20));
    expect((await new Session(web.url).get(link)).status).toBe(410);
    const forged = new URL(link);
    forged.searchParams.set('t', 'x'.repeat(43));
    expect((await new Session(web.url).get(forged.toString())).status).toBe(404);
  });

  it('subscribes to a public rule picked from the list, with a daily schedule in the reader\'s time zone', async () => {
    const { web, store } = await start();
    await subscribe(web, { query: '', rule: 'grain', frequency: 'daily', time: '07:30', timezone: 'Europe/Kyiv' } as Partial<typeof FORM>);
    const [pending] = await store.allPending();
    expect(pending).toMatchObject({ rules: ['grain'], delivery: 'digest', digest: { cron: '30 7 * * *' }, timezone: 'Europe/Kyiv' });
  });
});

describe('abuse', () => {
  it('sends nothing for a form with the honeypot filled, and says the same as for a person', async () => {
    const { web, store } = await start();
    const { page } = await subscribe(web, { website: 'http://spam.example' } as Partial<typeof FORM>);
    expect(page.html).toContain('Check your inbox');
    expect(await store.allPending()).toEqual([]);
  });

  it('caps the subscriptions of one address, and the forms one client may send a minute', async () => {
    const { web, store } = await start({ formsPerMinute: 4 }, { subscriptionsPerAddress: 2 });
    const s = new Session(web.url);
    await s.get('/');
    const pages = [];
    for (const query of ['grain', 'wheat', 'barley', 'maize', 'rye']) pages.push(await s.post('/', { ...FORM, query }));
    expect(pages.map((p) => p.status)).toEqual([200, 200, 409, 409, 429]);
    expect(pages[2]!.html).toContain('reader@example.org already has 2 subscriptions, the most one address may have; delete one first');
    expect(pages[4]!.html).toContain('Please wait a minute and try again.');
    expect((await store.allPending()).map((p) => p.keywords).sort()).toEqual(['grain', 'wheat']);
  });

  it('accepts only the allowed domains, and nothing when the public form is off', async () => {
    const { web, store } = await start({ allowedDomains: ['example.org'] });
    expect((await subscribe(web, { email: 'someone@elsewhere.net' })).page.html).toContain('Only addresses at example.org may subscribe here.');
    expect((await subscribe(web, { email: 'someone@news.example.org' })).page.status).toBe(200);
    expect((await store.allPending()).map((s) => s.email)).toEqual(['someone@news.example.org']);

    const closed = await start({ publicForm: false });
    const front = await new Session(closed.web.url).get('/');
    expect(front.html).toContain('New subscriptions through this page are closed here.');
    expect(front.html).not.toContain('id="subscribe"');
    expect(front.html).toContain('action="/manage-link"');
    expect((await subscribe(closed.web)).page.status).toBe(403);
  });

  it('rejects script tags, quotes and CR/LF in every field, and shows them back escaped', async () => {
    const { web, store } = await start();
    const evil = '"><script>alert(1)</script>\'\r\nBcc: victim@example.org';
    const { page } = await subscribe(web, { email: `reader@example.org${evil}`, query: `ceasefire ${evil}`, frequency: evil, time: evil, day: evil, timezone: evil });
    expect(page.status).toBe(422);
    expect(page.html).not.toContain('<script>alert(1)');
    expect(page.html).toContain('Give an email address such as name@example.org.');
    expect(page.html).toContain('Choose how often');
    expect(await store.allPending()).toEqual([]);
    expect(smtp.messages).toHaveLength(0);

    // A valid form whose query holds them: stored as typed, shown escaped, no header injected.
    const ok = await subscribe(web, { query: 'ceasefire "<script>alert(1)</script>"' });
    expect(ok.page.status).toBe(200);
    await waitForMail(smtp, 'reader@example.org', 1);
    const mail = to('reader@example.org')[0]!;
    expect(mail.headers.get('bcc')).toBeUndefined();
    expect(mail.html).not.toContain('<script>');
  });
});

describe('the manage page', () => {
  async function confirmed(p: Pipeline, web: TestWeb, query = 'ceasefire talks') {
    smtp.messages.length = 0;
    await subscribe(web, { query });
    await waitForMail(smtp, 'reader@example.org', 1);
    const link = new URL(linkIn(to('reader@example.org')[0]!, 'confirm'));
    const s = new Session(web.url);
    await s.get(link.toString());
    const done = await s.post('/confirm', { s: link.searchParams.get('s')!, t: link.searchParams.get('t')! });
    await p.ctx.directory.caughtUp();
    return { id: link.searchParams.get('s')!, manage: /href="([^"]+\/manage\?[^"]+)"/.exec(done.html)![1]!.replace(/&amp;/g, '&') };
  }

  it('lists the address\'s subscriptions and changes the query and frequency, pauses, resumes, deletes and leaves', async () => {
    const { p, web, store } = await start();
    const first = await confirmed(p, web);
    const second = await confirmed(p, web, 'grain corridor');
    const s = new Session(web.url);
    const page = await s.get(first.manage);
    expect(page.status).toBe(200);
    expect(page.html).toContain('<h2 id="sub-' + first.id + '">ceasefire talks</h2>');
    expect(page.html).toContain('grain corridor');
    // Each subscription's alert feed, at its private link.
    const atom = new RegExp(`href="(${web.url}/feeds/subscriptions/${first.id}/atom\\.xml\\?token=[^"]+)">Atom feed</a>`).exec(page.html)?.[1];
    expect(atom).toBeDefined();
    const feed = await fetch(atom!);
    expect([feed.status, feed.headers.get('content-type')]).toEqual([200, 'application/atom+xml; charset=utf-8']);
    expect(await feed.text()).toContain('<title>Newswatch alerts: ceasefire talks</title>');
    expect(page.html).toContain(`${web.url}/feeds/subscriptions/${second.id}/feed.json?token=`);
    const { a, t } = Object.fromEntries(new URL(first.manage).searchParams);

    const updated = await s.post('/manage', { a: a!, t: t!, s: first.id, action: 'update', query: 'ceasefire OR truce', frequency: 'weekly', time: '09:15', day: 'friday', timezone: 'Europe/Kyiv' });
    expect(updated.html).toContain('Saved: ceasefire OR truce, weekly on friday at 09:15 (Europe/Kyiv).');
    expect(await store.get(first.id)).toMatchObject({ keywords: 'ceasefire OR truce', delivery: 'digest', digest: { cron: '15 9 * * 5' }, timezone: 'Europe/Kyiv' });

    await s.post('/manage', { a: a!, t: t!, s: first.id, action: 'pause' });
    expect((await store.get(first.id))?.paused).toBe(true);
    await s.post('/manage', { a: a!, t: t!, s: first.id, action: 'resume' });
    expect((await store.get(first.id))?.paused).toBe(false);

    const bad = await s.post('/manage', { a: a!, t: t!, s: first.id, action: 'update', query: 'ceasefire AND', frequency: 'immediate' });
    expect(bad.status).toBe(422);
    expect(bad.html).toContain('The words to watch for do not work');

    await s.post('/manage', { a: a!, t: t!, s: second.id, action: 'delete' });
    expect(await store.get(second.id)).toBeUndefined();
    const left = await s.post('/manage', { a: a!, t: t!, action: 'leave' });
    expect(left.html).toContain('gets no more alerts from here');
    expect(await store.idsOf('reader@example.org')).toEqual([]);
  });

  it('escapes script tags, quotes and CR/LF in every manage field, the manage-link form and the alert email, and injects no header', async () => {
    const { p, web, store } = await start();
    p.runWorkers();
    // Stored as the API stores it (its JSON may carry CR/LF in a query that parses).
    const query = 'ceasefire OR "<script>alert(1)</script>" OR "\'quoted\'\r\nX-Injected: yes"';
    await createSubscription(p.ctx, await validSubscription(p.ctx, { id: 'evil', email: 'reader@example.org', keywords: query }, 'api'), { origin: 'api', confirmed: true });
    await p.ctx.directory.caughtUp();
    const manage = manageUrl(web.url, await p.ctx.linkSecret(), 'reader@example.org');
    const s = new Session(web.url);
    const listed = await s.get(manage);
    expect(listed.status).toBe(200);
    expect(listed.html).not.toContain('<script>alert(1)');
    expect(listed.html).toContain('value="ceasefire OR &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot; OR &quot;&#39;quoted&#39;');

    const evil = '"><script>alert(1)</script>\'\r\nX-Injected: yes';
    const { a, t } = Object.fromEntries(new URL(manage).searchParams);
    const valid = { a: a!, t: t!, s: 'evil', action: 'update', query: 'ceasefire', frequency: 'weekly', time: '08:00', day: 'monday', timezone: 'UTC' };
    const before = await store.get('evil');
    for (const [field, shown] of [
      ['query', 'The words to watch for do not work'],
      ['frequency', 'Choose how often'],
      ['time', 'Give the time of day as HH:MM'],
      ['day', 'Choose a day of the week'],
      ['timezone', '&quot;&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#39;  X-Injected: yes&quot; is not a time zone'],
      ['s', 'That subscription is gone already.'],
      ['action', 'Choose one of the buttons.'],
    ] as const) {
      const page = await s.post('/manage', { ...valid, [field]: field === 'query' ? `ceasefire ${evil}` : evil });
      expect([field, page.html.includes('<script>alert(1)'), page.headers.get('x-injected')]).toEqual([field, false, null]);
      expect(page.html).toContain(shown);
    }
    for (const field of ['a', 't']) expect((await s.post('/manage', { ...valid, [field]: evil })).status).toBe(404);
    expect(await store.get('evil')).toEqual(before);

    const linkPage = await s.post('/manage-link', { email: `reader@example.org${evil}` });
    expect(linkPage.html).not.toContain('<script>alert(1)');
    expect(linkPage.html).toContain('If reader@example.org&quot;&gt;&lt;script&gt;');

    // The alert: the query is in the subject and the footer; no header comes of it, the HTML is escaped.
    items = [{ guid: 'a1', title: 'Ceasefire talks to resume', link: `${http.url}/a1`, description: 'Negotiators will meet to discuss a ceasefire.' }];
    await pollAllAndDrain(p, 60_000);
    const [alert] = await waitForMail(smtp, 'reader@example.org', 1);
    expect(mailsTo(smtp, 'reader@example.org')).toHaveLength(1);
    expect(rawHeader(alert!, 'x-injected')).toBe('');
    expect(alert!.subject).toMatch(/^Keywords: ceasefire OR "<script>alert\(1\)<\/script>" OR "'quoted'\s+X-Injected: yes": Ceasefire talks to resume$/);
    expect(alert!.html).not.toContain('<script>alert(1)');
    expect(alert!.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('refuses a manage link for another address, and a form without its CSRF token', async () => {
    const { p, web } = await start();
    const { manage } = await confirmed(p, web);
    const other = new URL(manage);
    other.searchParams.set('a', 'someone@example.org');
    expect((await new Session(web.url).get(other.toString())).status).toBe(404);
    const s = new Session(web.url);
    await s.get(manage);
    const { a, t } = Object.fromEntries(new URL(manage).searchParams);
    expect((await s.post('/manage', { a: a!, t: t!, action: 'leave' }, { csrf: false })).status).toBe(403);
  });

  it('emails the manage link only to an address that has subscriptions, and says the same either way', async () => {
    const { p, web } = await start();
    await confirmed(p, web);
    smtp.messages.length = 0;
    const s = new Session(web.url);
    await s.get('/');
    const none = await s.post('/manage-link', { email: 'nobody@example.org' });
    const some = await s.post('/manage-link', { email: 'reader@example.org' });
    expect(none.html.replace('nobody', 'X')).toBe(some.html.replace('reader', 'X').replace(/value="[^"]+"/g, (m) => m));
    await waitForMail(smtp, 'reader@example.org', 1);
    expect(linkIn(to('reader@example.org')[0]!, 'manage').startsWith(`${web.url}/manage?a=reader%40example.org&t=`)).toBe(true);
    expect(to('nobody@example.org')).toHaveLength(0);
  });
});

describe('one-click unsubscribe', () => {
  const LEAD = 'Ukrainian and Russian negotiators will meet in Istanbul next week to discuss a ceasefire, officials said.';
  // A different story (not a near-duplicate of the first), still about the ceasefire talks.
  const OTHER = 'Delegations left Geneva on Thursday after three days of ceasefire talks produced no agreement on prisoner exchanges or grain.';

  it('ends a subscription from the List-Unsubscribe header of a real alert, after which nothing more arrives', async () => {
    const { p, web, store } = await start();
    p.runWorkers();
    await subscribe(web);
    await waitForMail(smtp, 'reader@example.org', 1);
    const link = new URL(linkIn(to('reader@example.org')[0]!, 'confirm'));
    const s = new Session(web.url);
    await s.get(link.toString());
    await s.post('/confirm', { s: link.searchParams.get('s')!, t: link.searchParams.get('t')! });
    await p.ctx.directory.caughtUp();

    items = [{ guid: 'a1', title: 'Ceasefire talks to resume in Istanbul', link: `${http.url}/a1`, description: LEAD }];
    await pollAllAndDrain(p, 60_000);
    await waitForMail(smtp, 'reader@example.org', 2);
    const alert = to('reader@example.org')[1]!;
    expect(rawHeader(alert, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    const url = listUnsubscribeUrl(alert);
    expect(url.startsWith(`${web.url}/unsubscribe?`)).toBe(true);
    expect(alert.text).toContain(`Manage your alerts: ${web.url}/manage?a=reader%40example.org&t=`);

    // A link scanner's GET changes nothing.
    expect((await fetch(url)).status).toBe(200);
    expect(await store.get(link.searchParams.get('s')!)).toBeDefined();
    // The mail client's one-click POST, without cookies, ends it.
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(res.status).toBe(200);
    expect(await store.get(link.searchParams.get('s')!)).toBeUndefined();
    await p.ctx.directory.caughtUp();

    items = [...items, { guid: 'a2', title: 'Ceasefire talks end without a deal', link: `${http.url}/a2`, description: OTHER }];
    await pollAllAndDrain(p, 60_000);
    // The YAML subscription on the same words got the second story; the reader did not.
    await waitForMail(smtp, 'desk@example.org', 2);
    expect(to('reader@example.org')).toHaveLength(2);
  });

  it('disables a subscription from subscriptions.yaml, and refuses a forged link', async () => {
    const { p, web } = await start();
    p.runWorkers();
    items = [{ guid: 'a1', title: 'Ceasefire talks to resume', link: `${http.url}/a1`, description: LEAD }];
    await pollAllAndDrain(p, 60_000);
    await waitForMail(smtp, 'desk@example.org', 1);
    const url = listUnsubscribeUrl(to('desk@example.org')[0]!);
    const forged = new URL(url);
    forged.searchParams.set('t', 'forged');
    expect((await fetch(forged, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' })).status).toBe(404);
    const page = new Session(web.url);
    const confirmPage = await page.get(url);
    expect(confirmPage.html).toContain('<button type="submit" class="danger">Unsubscribe</button>');
    expect(confirmPage.html).toContain('Alerts about: ceasefire.');
    const done = await page.post(new URL(url).pathname + new URL(url).search, {});
    expect(done.html).toContain('No more alerts about ceasefire.');
    items = [...items, { guid: 'a2', title: 'Ceasefire talks end', link: `${http.url}/a2`, description: OTHER }];
    await pollAllAndDrain(p, 60_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(to('desk@example.org')).toHaveLength(1);
  });
});
