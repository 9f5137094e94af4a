// Article pages as the article worker fetches them: through the per-host limiter shared with feed
// polls (concurrency held; a Retry-After pauses the host and the other articles wait for it), and
// extracted with sites.yaml overrides.
// Real HTTP server, real SMTP server, the run's throwaway Redis.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractArticle } from '../../src/extract/index.js';
import type { Pipeline } from '../../workers/index.js';
import { serve, startHttpServer, type Handler, type TestServer } from '../helpers/http.js';
import { pollAllAndDrain, testPipeline, writeConfig } from '../helpers/pipeline.js';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp.js';

const filler = (topic: string) =>
  Array.from({ length: 6 }, (_, i) => `<p>Paragraph ${i + 1} about ${topic}, with enough words, commas, and detail to read as the body of a real article.</p>`).join('');

const page = (title: string, article: string, extra = '') => `<!doctype html><html lang="en"><head><title>${title}</title></head><body>
<nav><a href="/">Home</a></nav><article><h1>${title}</h1>${article}</article>${extra}<footer>Test Wire</footer></body></html>`;

// The scoring keeps the whole article, promo box included; the site rule removes the box.
const PROMO_PAGE = page('Cup final report', `${filler('the cup final in Lviv')}<div class="promo">Read next: Ukraine ceasefire talks resume</div>`);
// The scoring picks the long match report; the site rule selects the short live-updates block.
const LIVE_PAGE = page('Match day', filler('the league match in Kharkiv'), '<aside id="live">Live: Kyiv agrees to a truce along the front in Ukraine.</aside>');

function rss(base: string, items: { id: string; title: string }[]): string {
  const date = new Date().toUTCString();
  return `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Test Wire</title><link>${base}/</link>
${items.map((i) => `<item><guid>${i.id}</guid><title>${i.title}</title><link>${base}/${i.id}</link><description>Sport.</description><pubDate>${date}</pubDate></item>`).join('\n')}
</channel></rss>`;
}

describe('article pages', () => {
  let http: TestServer;
  let smtp: TestSmtp;
  let pipeline: Pipeline;
  let inFlight = 0;
  let maxInFlight = 0;
  const started: { path: string; at: number }[] = [];

  const slow =
    (html: string): Handler =>
    async (req, res) => {
      started.push({ path: req.path, at: Date.now() });
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 50));
      inFlight--;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    };

  beforeAll(async () => {
    http = await startHttpServer();
    smtp = await startSmtpServer();
    const base = http.url;
    http.route(
      '/wire.xml',
      serve(
        rss(base, [
          { id: 'promo', title: 'Cup final report' },
          { id: 'live', title: 'Match day' },
          { id: 'plain-1', title: 'Training notes' },
          { id: 'plain-2', title: 'Transfer news' },
          { id: 'limited', title: 'Ukraine ceasefire: what we know' },
        ]),
        'application/rss+xml',
      ),
    );
    http.route('/promo', slow(PROMO_PAGE));
    http.route('/live', slow(LIVE_PAGE));
    http.route('/plain-1', slow(page('Training notes', filler('training'))));
    http.route('/plain-2', slow(page('Transfer news', filler('transfers'))));
    http.route('/limited', (req, res) => {
      started.push({ path: req.path, at: Date.now() });
      res.writeHead(429, { 'retry-after': '2', 'content-type': 'text/plain' }).end('slow down');
    });

    const dir = await writeConfig({
      feeds: `feeds:\n  - id: wire\n    url: ${base}/wire.xml\n    fetchArticle: true\n`,
      rules: `rules:\n  - id: ceasefire\n    query: '(ukraine OR kyiv) AND (ceasefire OR truce)'\n`,
      subscriptions: `subscriptions:\n  - id: desk\n    email: desk@example.org\n    rules: [ceasefire]\n`,
      // "#live" selects nothing on the other pages, which then fall back to the scoring.
      sites: `sites:\n  - host: 127.0.0.1\n    content: "#live"\n    remove: [".promo"]\n`,
    });
    pipeline = await testPipeline(dir, {
      smtpUrl: smtp.url,
      // One request at a time to the host (article workers run 8 at once, so only the limiter
      // holds them); a wait longer than 1 s (the 2 s pause) puts the article off.
      settings: { hosts: { concurrency: 1, minGapMs: 0, maxWaitMs: 1_000, overrides: {} } },
    });
    pipeline.runWorkers();
    await pollAllAndDrain(pipeline);
  });

  afterAll(async () => {
    await pipeline?.close();
    await smtp?.close();
    await http?.close();
  });

  it('fetches article pages one at a time when the host allows one request at a time', () => {
    expect(started.map((s) => s.path).sort()).toEqual(['/limited', '/live', '/plain-1', '/plain-2', '/promo']);
    expect(maxInFlight).toBe(1);
  });

  it('extracts with the site rule and alerts on what the rule selects', () => {
    // Preconditions: without the rules the scoring keeps the promo box and drops the live block.
    expect(extractArticle(PROMO_PAGE).text).toContain('ceasefire');
    expect(extractArticle(LIVE_PAGE).text).not.toContain('truce');
    const subjects = smtp.messages.map((m) => m.subject);
    expect(subjects).toContain('ceasefire: Match day');
    expect(subjects).not.toContain('ceasefire: Cup final report');
  });

  it('matches a page that answered 429 on its feed text and fetches no page of that host until Retry-After passed', () => {
    expect(smtp.messages.map((m) => m.subject)).toContain('ceasefire: Ukraine ceasefire: what we know');
    const limitedAt = started.find((s) => s.path === '/limited')?.at ?? 0;
    const after = started.filter((s) => s.at > limitedAt);
    for (const s of after) expect(s.at - limitedAt).toBeGreaterThanOrEqual(1_900);
  });
});
