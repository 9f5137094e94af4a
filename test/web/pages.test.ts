// The subscribe page and its preview, over real HTTP on a test pipeline's Redis: one form with
// the contract's fields, CSRF on the POST, the preview of a query (live as JSON, and on submit
// without JavaScript) with matched words highlighted, parse errors with a caret, caps on
// queries, escaping of everything typed, and rate limits per client.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecentArticles } from '../../src/feeds/recent-articles.js';
import type { Settings } from '../../src/queue/context.js';
import type { Pipeline } from '../../workers/index.js';
import { testPipeline, writeConfig } from '../helpers/pipeline.js';
import { Session, startWeb, type TestWeb } from '../helpers/web.js';

let pipeline: Pipeline;
let web: TestWeb;

const RULES = `rules:
  - { id: grain, name: Black Sea grain, query: 'grain AND (corridor OR export)', public: true }
  - { id: internal, name: Internal desk rule, query: 'secret' }
`;

async function setup(pages: Partial<Settings['pages']> = {}) {
  const dir = await writeConfig({ feeds: 'feeds: []\n', rules: RULES, subscriptions: 'subscriptions: []\n' });
  const p = await testPipeline(dir);
  p.ctx.settings.pages = { ...p.ctx.settings.pages, ...pages };
  const recent = new RecentArticles(p.ctx.redis, p.ctx.keys, p.ctx.settings.recent);
  await recent.add({ id: 'a', feed: 'wire', title: 'Ukraine and Russia agree to ceasefire talks', url: 'https://news.example.org/a', summary: 'Negotiators meet in Istanbul to discuss a ceasefire next week.' });
  await recent.add({ id: 'b', feed: 'wire', title: 'Grain corridor reopens', summary: 'The Black Sea grain export corridor reopened on Monday.' });
  await recent.add({ id: 'c', feed: 'paper', title: 'Markets rally', summary: 'Stocks rose.' });
  return { p, web: await startWeb(p) };
}

beforeAll(async () => {
  ({ p: pipeline, web } = await setup({ previewsPerMinute: 1_000 }));
});
afterAll(async () => {
  await web.close();
  await pipeline.close();
});

describe('GET /', () => {
  it('is one POST form with email, query, rule (public rules only) and frequency, a CSRF token and a honeypot', async () => {
    const page = await new Session(web.url).get('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const forms = page.html.match(/<form method="post" action="\/" id="subscribe"/g);
    expect(forms).toHaveLength(1);
    for (const field of ['name="email" type="email"', 'name="query" type="text"', 'name="rule"', 'name="frequency" value="immediate"', 'name="frequency" value="daily"', 'name="frequency" value="weekly"', 'name="time" type="time"', 'name="timezone"', 'name="_csrf" value="', 'name="website"']) {
      expect(page.html).toContain(field);
    }
    expect(page.html).toContain('<option value="grain">Black Sea grain</option>');
    expect(page.html).not.toContain('Internal desk rule');
    // Every input has a label.
    for (const id of ['query', 'email', 'rule', 'time', 'day', 'timezone', 'website']) expect(page.html).toContain(`<label for="${id}">`);
    expect(page.headers.get('set-cookie')).toMatch(/_csrf=.*HttpOnly.*SameSite=Lax/i);
  });

  it('serves the preview script and the style sheet', async () => {
    const js = await fetch(`${web.url}/assets/preview.js`);
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect(await js.text()).toContain('/preview?');
    expect((await fetch(`${web.url}/assets/style.css`)).status).toBe(200);
    expect((await fetch(`${web.url}/assets/nothing.js`)).status).toBe(404);
  });
});

describe('the live preview', () => {
  it('lists the recent articles a query matches, newest first, with the ranges of the matched words', async () => {
    const res = await fetch(`${web.url}/preview?query=${encodeURIComponent('ceasefire OR grain')}`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ ok: true, searched: 3, total: 2 });
    expect(body.matches.map((m: { title: string }) => m.title)).toEqual(['Grain corridor reopens', 'Ukraine and Russia agree to ceasefire talks']);
    const talks = body.matches[1];
    expect(talks.title.slice(talks.titleHighlights[0].start, talks.titleHighlights[0].end)).toBe('ceasefire');
    expect(talks.snippet.text.slice(talks.snippet.highlights[0].start, talks.snippet.highlights[0].end)).toBe('ceasefire');
  });

  it('previews a public rule by its id, and not a private one', async () => {
    const res = await fetch(`${web.url}/preview?rule=grain`);
    expect((await res.json()).matches.map((m: { title: string }) => m.title)).toEqual(['Grain corridor reopens']);
    expect((await fetch(`${web.url}/preview?rule=internal`)).status).toBe(404);
  });

  it('answers a query that does not parse with 422, the offset and a caret line', async () => {
    const res = await fetch(`${web.url}/preview?query=${encodeURIComponent('(ukraine OR russia ceasefire')}`);
    expect(res.status).toBe(422);
    const body = await res.json();
    expect(body.ok).toBe(false);
    expect(body.problem.offset).toBe(0);
    expect(body.problem.caret).toContain('(ukraine OR russia ceasefire\n  ^');
  });

  it('refuses queries over the length and term caps before parsing them', async () => {
    const long = await (await fetch(`${web.url}/preview?query=${'a'.repeat(501)}`)).json();
    expect(long.problem.message).toBe('the query is 501 characters long; at most 500 are accepted');
    const many = await (await fetch(`${web.url}/preview?query=${encodeURIComponent(Array.from({ length: 31 }, (_, i) => `w${i}`).join(' OR '))}`)).json();
    expect(many.problem.message).toBe('the query has 31 terms; at most 30 are accepted');
  });
});

describe('POST / with "Preview matches" (no JavaScript)', () => {
  it('shows the matches with the words in <mark>, keeping what was typed', async () => {
    const s = new Session(web.url);
    await s.get('/');
    const page = await s.post('/', { action: 'preview', query: 'ceasefire', email: 'reader@example.org', frequency: 'daily', time: '07:30', day: 'monday', timezone: 'Europe/Kyiv' });
    expect(page.status).toBe(200);
    expect(page.html).toContain('Ukraine and Russia agree to <mark>ceasefire</mark> talks');
    expect(page.html).toContain('value="reader@example.org"');
    expect(page.html).toContain('value="daily" checked');
    expect(page.html).toContain('value="Europe/Kyiv"');
  });

  it('shows a parse error with a caret under the problem', async () => {
    const s = new Session(web.url);
    await s.get('/');
    const page = await s.post('/', { action: 'preview', query: 'ukraine AND' });
    expect(page.status).toBe(422);
    expect(page.html).toContain('Your query does not work yet');
    expect(page.html).toMatch(/<pre class="caret">ukraine AND\n {8}\^{3}<\/pre>/);
  });

  it('refuses a form without a valid CSRF token with a page that says what to do', async () => {
    const s = new Session(web.url);
    await s.get('/');
    const missing = await s.post('/', { action: 'preview', query: 'ceasefire' }, { csrf: false });
    expect(missing.status).toBe(403);
    expect(missing.html).toContain('reload the page and send the form again');
    const forged = await new Session(web.url).post('/', { action: 'preview', query: 'ceasefire', _csrf: 'forged' });
    expect(forged.status).toBe(403);
  });

  it('escapes script tags, quotes and CR/LF in every field it shows again', async () => {
    const s = new Session(web.url);
    await s.get('/');
    const evil = '"><script>alert(1)</script>\'\r\nX-Injected: yes';
    const page = await s.post('/', { action: 'preview', query: `ceasefire ${evil}`, email: evil, frequency: evil, time: evil, day: evil, timezone: evil, rule: evil });
    expect(page.html).not.toContain('<script>alert(1)');
    expect(page.html).not.toMatch(/value="[^"]*"><script/);
    expect(page.html).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#39;  X-Injected: yes');
    expect(page.headers.get('x-injected')).toBeNull();
  });
});

describe('rate limits', () => {
  it('answer 429 once a client has had its previews for the minute', async () => {
    const { p, web: limited } = await setup({ previewsPerMinute: 2 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await fetch(`${limited.url}/preview?query=grain`)).status);
      expect(statuses).toEqual([200, 200, 429]);
    } finally {
      await limited.close();
      await p.close();
    }
  });
});
