// The reader's path end to end in a real browser (Debian's Chromium through playwright-core),
// against the web server and workers of a real pipeline, a throwaway Redis, an SMTP catcher and
// a feed server on 127.0.0.1: the live preview (highlighted words, a caret under a broken query),
// subscribe, the confirmation email's link (a GET confirms nothing; the button does), an alert
// for a new matching story exactly once, one-click unsubscribe (RFC 8058 POST from the alert's
// header, and the GET page's button), and nothing more after it. The same page without
// JavaScript previews and subscribes through the server. `npm run screenshots` runs this file
// with NEWSWATCH_SCREENSHOTS=docs to refresh the README's screenshots.

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SubscriptionStore } from '../../src/alerts/subscription-store.js';
import type { Pipeline } from '../../workers/index.js';
import { chromiumMissing, launchChromium, screenshot } from '../helpers/browser.js';
import { rss, type FeedItem } from '../helpers/feeds.js';
import { startHttpServer, type TestServer } from '../helpers/http.js';
import { drain, pollAllAndDrain, testPipeline, writeConfig } from '../helpers/pipeline.js';
import { linkIn, listUnsubscribeUrl, mailsTo, rawHeader, startSmtpServer, waitForMail, type TestSmtp } from '../helpers/smtp.js';
import { startWeb, type TestWeb } from '../helpers/web.js';

const WAIT = { timeout: 60_000 };
const missing = chromiumMissing();
if (missing) console.warn(missing);

// Three different stories about the talks (not near-duplicates, so each is a story of its own).
const STORIES: FeedItem[] = [
  {
    guid: 's0',
    title: 'Ceasefire talks to resume in Istanbul next week',
    link: '/s0',
    description: 'Ukrainian and Russian negotiators will meet in Istanbul next week to discuss a ceasefire, officials in Ankara said on Monday.',
  },
  {
    guid: 's1',
    title: 'Negotiators agree on prisoner exchange as ceasefire talks go on',
    link: '/s1',
    description: 'Both delegations signed a list of two hundred prisoners to be exchanged on Friday, the first result of the talks in the Turkish capital.',
  },
  {
    guid: 's2',
    title: 'Ceasefire talks end in Geneva without a deal',
    link: '/s2',
    description: 'Delegations left Geneva on Thursday after three days of ceasefire talks produced no agreement on grain shipments or the front line.',
  },
];

let http: TestServer;
let smtp: TestSmtp;
let browser: Browser | undefined;
let items: FeedItem[] = [];
let running: { p: Pipeline; web: TestWeb; contexts: BrowserContext[] } | undefined;
/** Script errors and console errors (a CSP refusal among them) of every tab of the test. */
let pageErrors: string[] = [];

beforeAll(async () => {
  if (missing) return;
  http = await startHttpServer();
  smtp = await startSmtpServer();
  http.route('/wire.xml', (_req, res) => void res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss(items.map((i) => ({ ...i, link: `${http.url}${i.link}` })), 'World Wire')));
  browser = await launchChromium();
});
afterEach(async () => {
  for (const c of running?.contexts ?? []) await c.close();
  await running?.web.close();
  await running?.p.close();
  running = undefined;
  pageErrors = [];
  if (smtp) smtp.messages.length = 0;
  items = [];
});
afterAll(async () => {
  await browser?.close();
  await smtp?.close();
  await http?.close();
});

/** The web server and every worker of one pipeline; `desk` (subscriptions.yaml) watches the same words, so its alerts show what the pipeline has matched. */
async function start() {
  const dir = await writeConfig({
    feeds: `feeds:\n  - { id: world-wire, url: "${http.url}/wire.xml" }\n`,
    rules: "rules:\n  - { id: grain, name: Black Sea grain, query: 'grain AND corridor', public: true }\n",
    subscriptions: 'subscriptions:\n  - { id: desk, email: desk@example.org, keywords: ceasefire }\n',
  });
  const p = await testPipeline(dir, { smtpUrl: smtp.url });
  const web = await startWeb(p);
  p.ctx.settings.publicUrl = web.url;
  p.runWorkers();
  running = { p, web, contexts: [] };
  return { p, web, store: new SubscriptionStore(p.ctx.redis, p.ctx.keys) };
}

/** A browser tab; `javaScript: false` for the page as a browser without scripts sees it. */
async function tab(options: { javaScript?: boolean; width?: number } = {}): Promise<Page> {
  const context = await browser!.newContext({
    javaScriptEnabled: options.javaScript ?? true,
    viewport: { width: options.width ?? 900, height: 600 },
    timezoneId: 'America/New_York',
    locale: 'en-GB',
  });
  context.setDefaultTimeout(60_000);
  running!.contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (m) => {
    const line = `${m.text()} ${new URL(m.location().url).pathname}`;
    // Expected answers: no favicon here, and 422 is the preview's answer to a query that does not parse.
    if (m.type() === 'error' && !/^Failed to load resource: .* (404 \(Not Found\) \/favicon\.ico|422 \(Unprocessable Entity\) \/preview)$/.test(line)) pageErrors.push(line);
  });
  return page;
}

const heading = (page: Page) => page.locator('h1').textContent();

/**
 * Every element with text of its own whose colour has less than 4.5:1 contrast with the
 * background behind it (the first opaque one up the tree), as "text (ratio)".
 */
function lowContrast(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(`(() => {
    const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
    const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }).reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
    const background = (e) => { for (; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c.length < 4 || c[3] > 0) return c; } return [255, 255, 255]; };
    const low = [];
    for (const e of document.querySelectorAll('body *')) {
      const own = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      const style = getComputedStyle(e);
      if (!own || style.visibility === 'hidden' || e.closest('.hp, datalist, option, script')) continue;
      const [a, b] = [lum(rgb(style.color)), lum(background(e))];
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      if (ratio < 4.5) low.push(e.textContent.trim().slice(0, 40) + ' (' + ratio.toFixed(2) + ')');
    }
    return low;
  })()`);
}

/** A tab without scripts on the subscribe page, `query` typed and "Preview matches" pressed (the server renders the preview). */
async function previewWithoutScripts(url: string, query: string): Promise<Page> {
  const page = await tab({ javaScript: false });
  await page.goto(`${url}/`);
  await page.locator('#query').fill(query);
  await page.locator('button[value="preview"]').click();
  return page;
}

/** Waits until the preview shows matches, and returns the highlighted words. */
async function highlighted(page: Page): Promise<string[]> {
  await page.locator('#preview ol.matches mark').first().waitFor(WAIT);
  return page.locator('#preview mark').allTextContents();
}

/** Subscribes `email` to `query` (immediate) through the page, and follows the confirmation email's link to its button. */
async function subscribeAndConfirm(page: Page, web: TestWeb, email: string, query: string): Promise<string> {
  await page.goto(`${web.url}/`);
  await page.locator('#query').fill(query);
  await page.locator('#email').fill(email);
  await page.locator('input[name="frequency"][value="immediate"]').check();
  await page.locator('button[value="subscribe"]').click();
  await page.getByRole('heading', { name: 'Check your inbox' }).waitFor(WAIT);
  const [mail] = await waitForMail(smtp, email, 1);
  const link = linkIn(mail!, 'confirm');
  await page.goto(link);
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByRole('heading', { name: 'You are subscribed' }).waitFor(WAIT);
  return new URL(link).searchParams.get('s')!;
}

describe.skipIf(missing)('the subscribe page in Chromium', () => {
  it('previews as the query is typed, subscribes, confirms by button, alerts once, and stops after one-click unsubscribe', async () => {
    const { p, web, store } = await start();
    items = [STORIES[0]!];
    await pollAllAndDrain(p);
    await waitForMail(smtp, 'desk@example.org', 1);

    // The live preview: the recent story with the typed words highlighted; a caret under a broken query.
    const page = await tab();
    await page.goto(`${web.url}/`);
    expect(await page.locator('#timezone').inputValue()).toBe('America/New_York');
    await page.locator('#query').pressSequentially('ceasefire talks');
    expect((await highlighted(page)).map((w) => w.toLowerCase())).toEqual(expect.arrayContaining(['ceasefire', 'talks']));
    expect(await page.locator('#preview ol.matches .title').first().textContent()).toBe(STORIES[0]!.title);

    await page.locator('#query').fill('ceasefire AND');
    await page.locator('#query-problem pre.caret').waitFor(WAIT);
    expect(await page.locator('#query-problem').textContent()).toContain('Your query does not work yet');
    expect(await page.locator('#query-problem pre.caret').textContent()).toBe('ceasefire AND\n          ^^^');

    await page.locator('#query').fill('ceasefire talks');
    await highlighted(page);
    expect(await page.locator('#query-problem').count()).toBe(0);
    await page.locator('#email').fill('reader@example.org');
    await page.locator('input[name="frequency"][value="immediate"]').check();
    await screenshot(page, 'subscribe');
    await page.locator('button[value="subscribe"]').click();
    await page.getByRole('heading', { name: 'Check your inbox' }).waitFor(WAIT);

    // The confirmation email's link shows a button; only the button confirms.
    const [confirmation] = await waitForMail(smtp, 'reader@example.org', 1);
    const link = linkIn(confirmation!, 'confirm');
    expect(link.startsWith(`${web.url}/confirm?s=`)).toBe(true);
    const id = new URL(link).searchParams.get('s')!;
    await page.goto(link);
    expect(await heading(page)).toBe('Confirm your alerts');
    expect(await store.get(id)).toBeUndefined();
    expect(await store.getPending(id)).toMatchObject({ email: 'reader@example.org', keywords: 'ceasefire talks' });
    await screenshot(page, 'confirm');
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('heading', { name: 'You are subscribed' }).waitFor(WAIT);
    expect(await store.get(id)).toMatchObject({ confirmedAt: expect.any(String) });

    await page.getByRole('link', { name: 'Manage your alerts' }).click();
    await page.getByRole('heading', { name: 'Your alerts' }).waitFor(WAIT);
    expect(await page.locator(`#sub-${id}`).textContent()).toBe('ceasefire talks');
    await screenshot(page, 'manage');

    // A second reader, to leave through the unsubscribe page's button.
    const second = await subscribeAndConfirm(await tab(), web, 'second@example.org', 'ceasefire');
    await p.ctx.directory.caughtUp();

    // A new matching story: one alert each, with the one-click headers; polling again sends nothing more.
    items = [...items, STORIES[1]!];
    await pollAllAndDrain(p);
    const [, alert] = await waitForMail(smtp, 'reader@example.org', 2);
    const [, secondAlert] = await waitForMail(smtp, 'second@example.org', 2);
    await waitForMail(smtp, 'desk@example.org', 2);
    expect(alert!.subject).toContain('Negotiators agree on prisoner exchange');
    expect(rawHeader(alert!, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    await pollAllAndDrain(p);
    await drain(p);
    expect(mailsTo(smtp, 'reader@example.org')).toHaveLength(2);
    expect(mailsTo(smtp, 'second@example.org')).toHaveLength(2);

    // One click, as a mail client does it (RFC 8058): a POST without cookies to the header's URL.
    const oneClick = listUnsubscribeUrl(alert!);
    expect(oneClick.startsWith(`${web.url}/unsubscribe?`)).toBe(true);
    const res = await fetch(oneClick, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(res.status).toBe(200);
    expect(await store.get(id)).toBeUndefined();

    // The same link opened in the browser: a page with a button; the GET leaves the subscription on.
    await page.goto(listUnsubscribeUrl(secondAlert!));
    expect(await heading(page)).toBe('Stop these alerts?');
    expect(await page.locator('main').textContent()).toContain('Alerts about: ceasefire.');
    expect(await store.get(second)).toBeDefined();
    await screenshot(page, 'unsubscribe');
    await page.getByRole('button', { name: 'Unsubscribe' }).click();
    await page.getByRole('heading', { name: 'Unsubscribed' }).waitFor(WAIT);
    expect(await page.locator('main').textContent()).toContain('No more alerts about ceasefire.');
    expect(await store.get(second)).toBeUndefined();
    await p.ctx.directory.caughtUp();

    // Another matching story: matched (desk's alert is the proof), and nothing for the two who left.
    items = [...items, STORIES[2]!];
    await pollAllAndDrain(p);
    const desk = await waitForMail(smtp, 'desk@example.org', 3);
    expect(desk[2]!.subject).toContain('Ceasefire talks end in Geneva');
    await drain(p);
    expect(mailsTo(smtp, 'reader@example.org')).toHaveLength(2);
    expect(mailsTo(smtp, 'second@example.org')).toHaveLength(2);
    // The preview script ran under the pages' Content-Security-Policy without an error.
    expect(pageErrors).toEqual([]);
  });

  it('without JavaScript, "Preview matches" shows the matches or the caret, and Subscribe the confirmation message', async () => {
    const { p, web, store } = await start();
    items = [STORIES[0]!];
    await pollAllAndDrain(p);

    const page = await previewWithoutScripts(web.url, 'ceasefire talks');
    expect((await highlighted(page)).map((w) => w.toLowerCase())).toEqual(expect.arrayContaining(['ceasefire', 'talks']));
    // The server keeps what was typed.
    expect(await page.locator('#query').inputValue()).toBe('ceasefire talks');

    await page.locator('#query').fill('"ceasefire talks');
    await page.locator('button[value="preview"]').click();
    await page.locator('#query-problem pre.caret').waitFor(WAIT);
    expect(await page.locator('#query-problem pre.caret').textContent()).toMatch(/^"ceasefire talks\n\^/);

    await page.locator('#query').fill('ceasefire talks');
    await page.locator('#email').fill('nojs@example.org');
    await page.locator('button[value="subscribe"]').click();
    await page.getByRole('heading', { name: 'Check your inbox' }).waitFor(WAIT);
    expect(await page.locator('main').textContent()).toContain('We sent a confirmation link to nojs@example.org.');
    const [mail] = await waitForMail(smtp, 'nojs@example.org', 1);
    expect(await store.getPending(new URL(linkIn(mail!, 'confirm')).searchParams.get('s')!)).toMatchObject({ keywords: 'ceasefire talks' });
  });

  it('is usable with the keyboard alone: every control labelled, in reading order, the honeypot never reached', async () => {
    const { web, store } = await start();
    const page = await tab();
    await page.goto(`${web.url}/`);
    const unlabelled = await page.evaluate<string[]>(
      `[...document.querySelectorAll('input, select, textarea')].filter((e) => e.type !== 'hidden' && e.labels.length === 0).map((e) => e.name)`,
    );
    expect(unlabelled).toEqual([]);

    // Tab from the top of the page, naming each control reached (a time field's parts count once).
    const order: string[] = [];
    for (let i = 0; i < 30 && order.at(-1) !== 'manage-email'; i++) {
      await page.keyboard.press('Tab');
      const name = await page.evaluate<string>(`(() => { const e = document.activeElement; return e.id || (e.name ? e.name + '=' + e.value : e.textContent.trim()); })()`);
      if (order.at(-1) !== name) order.push(name);
    }
    expect(order).toEqual(['Newswatch', 'query', 'rule', 'email', 'frequency=immediate', 'time', 'day', 'timezone', 'action=subscribe', 'action=preview', 'manage-email']);

    // Typing and Enter alone subscribe (Enter in a field presses the first button: Subscribe).
    await page.locator('#query').focus();
    await page.keyboard.type('ceasefire');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.type('keys@example.org');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Check your inbox' }).waitFor(WAIT);
    expect((await store.allPending()).map((s) => [s.email, s.keywords])).toEqual([['keys@example.org', 'ceasefire']]);
  });

  it('has text contrast of at least 4.5:1 (WCAG AA) everywhere on the subscribe page with a preview and an error', async () => {
    const { p, web } = await start();
    items = [STORIES[0]!];
    await pollAllAndDrain(p);
    const page = await previewWithoutScripts(web.url, 'ceasefire talks');
    await highlighted(page);
    expect(await lowContrast(page)).toEqual([]);
    await page.locator('#query').fill('ceasefire AND');
    await page.locator('button[value="subscribe"]').click();
    await page.locator('#form-errors').waitFor(WAIT);
    expect(await lowContrast(page)).toEqual([]);
  });

  it('fits a phone screen (390 px wide) without sideways scrolling', async () => {
    const { p, web } = await start();
    items = [STORIES[0]!];
    await pollAllAndDrain(p);
    const page = await tab({ width: 390 });
    await page.goto(`${web.url}/`);
    await page.locator('#query').fill('ceasefire talks');
    await highlighted(page);
    await page.locator('#email').fill('reader@example.org');
    await screenshot(page, 'subscribe-phone');
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
  });
});
