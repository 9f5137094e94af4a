// End to end on real parts: an HTTP server with feeds, article pages and a webhook receiver, a
// real SMTP server, the run's throwaway Redis, and the BullMQ pipeline as `start` runs it.

import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthStore } from '../../src/feeds/health.js';
import type { Pipeline } from '../../workers/index.js';
import { serve, startHttpServer, type TestServer } from '../helpers/http.js';
import { pollAllAndDrain, testPipeline, writeConfig } from '../helpers/pipeline.js';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp.js';

const SECRET = `whsec_${Buffer.from('test-secret-0123456789abcdef').toString('base64')}`;

function rss(items: { guid: string; title: string; link: string; description: string }[]): string {
  const date = new Date().toUTCString();
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Test Wire</title><link>http://example.invalid/</link><language>en</language>
${items
  .map(
    (i) => `<item><guid>${i.guid}</guid><title>${i.title}</title><link>${i.link}</link>
<description>${i.description}</description><pubDate>${date}</pubDate></item>`,
  )
  .join('\n')}
</channel></rss>`;
}

const page = (title: string, body: string) => `<!doctype html><html lang="en"><head><title>${title}</title></head><body>
<nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>${title}</h1>${body}</article>
<footer>Copyright Test Wire</footer></body></html>`;

describe('the alert pipeline', () => {
  let http: TestServer;
  let smtp: TestSmtp;
  let pipeline: Pipeline;
  let hookCalls = 0;

  beforeAll(async () => {
    http = await startHttpServer();
    smtp = await startSmtpServer();
    const base = http.url;
    http.route(
      '/wire.xml',
      serve(
        rss([
          // Matches only through its article page (fetchArticle is on).
          { guid: 'wire-1', title: 'Talks resume in Istanbul', link: `${base}/story-1?utm_source=rss`, description: 'Delegations met on Friday.' },
          // Matches through its feed summary.
          { guid: 'wire-2', title: 'Kyiv says truce must be verifiable', link: `${base}/story-2`, description: 'Ukraine wants monitors for any ceasefire.' },
          // Does not match.
          { guid: 'wire-3', title: 'Ukraine wins football friendly', link: `${base}/story-3`, description: 'A 2-0 win in Kyiv.' },
        ]),
        'application/rss+xml; charset=utf-8',
      ),
    );
    http.route('/story-1', serve(page('Talks resume in Istanbul', '<p>Ukrainian and Russian delegations discussed a ceasefire along the front line in Ukraine, officials said.</p><p>More rounds of peace talks are expected next month in Istanbul, where the first meeting took place.</p>'), 'text/html; charset=utf-8'));
    http.route('/story-2', serve(page('Kyiv says truce must be verifiable', '<p>Kyiv insists on monitors.</p>'), 'text/html'));
    http.route('/story-3', serve(page('Football', '<p>Ukraine beat the visitors.</p>'), 'text/html'));
    http.route('/broken.xml', serve('internal error', 'text/plain', 500));
    http.route('/garbage.xml', serve('this is not a feed at all', 'text/plain'));
    http.route('/hook', (_req, res) => {
      hookCalls++;
      res.writeHead(hookCalls <= 2 ? 500 : 204).end();
    });

    const dir = await writeConfig({
      feeds: `feeds:
  - id: broken
    url: ${base}/broken.xml
  - id: wire
    url: ${base}/wire.xml
    fetchArticle: true
  - id: garbage
    url: ${base}/garbage.xml
`,
      rules: `rules:
  - id: ukraine-ceasefire
    name: Ukraine ceasefire talks
    query: '(ukraine OR kyiv) AND (ceasefire OR truce OR "peace talks")'
`,
      subscriptions: `subscriptions:
  - id: desk
    email: desk@example.org
    rules: [ukraine-ceasefire]
  - id: ops-hook
    webhook: { url: "${base}/hook", secret: "\${HOOK_SECRET}" }
    rules: [ukraine-ceasefire]
`,
    });
    pipeline = await testPipeline(dir, { smtpUrl: smtp.url, env: { HOOK_SECRET: SECRET } });
    pipeline.runWorkers();
    await pollAllAndDrain(pipeline);
  });

  afterAll(async () => {
    await pipeline?.close();
    await smtp?.close();
    await http?.close();
  });

  it('sends exactly one email per matching article, with headline, source, link and snippet', () => {
    const subjects = smtp.messages.map((m) => m.subject).sort();
    expect(subjects).toEqual([
      'Ukraine ceasefire talks: Kyiv says truce must be verifiable',
      'Ukraine ceasefire talks: Talks resume in Istanbul',
    ]);
    const mail = smtp.messages.find((m) => m.subject?.includes('Istanbul'));
    expect(mail?.to && 'text' in mail.to ? mail.to.text : '').toBe('desk@example.org');
    expect(mail?.text).toContain('Talks resume in Istanbul');
    expect(mail?.text).toContain(`Read: ${http.url}/story-1`);
    expect(mail?.text).not.toContain('utm_source');
    expect(mail?.text).toContain('ceasefire');
    expect(mail?.html).toContain(`<a href="${http.url}/story-1">Talks resume in Istanbul</a>`);
    expect(mail?.html).toMatch(/<mark>ceasefire<\/mark>/i);
    expect(mail?.messageId).toMatch(/^<d-[\w-]+@newswatch\.local>$/);
  });

  it('fetches each article page once and matches on its extracted text', () => {
    expect(http.requests.filter((r) => r.path === '/story-1')).toHaveLength(1);
  });

  it('sends no alert for an article that does not match', () => {
    expect(smtp.messages.some((m) => m.subject?.includes('football'))).toBe(false);
  });

  it('delivers each alert to a webhook that failed twice exactly once, signed per Standard Webhooks', () => {
    const posts = http.requests.filter((r) => r.path === '/hook');
    expect(posts.length).toBe(4); // two failures, then one success per alert
    const delivered = posts.slice(2);
    const verifier = new Webhook(SECRET);
    const payloads = delivered.map(
      (r) =>
        verifier.verify(r.body, {
          'webhook-id': String(r.headers['webhook-id']),
          'webhook-timestamp': String(r.headers['webhook-timestamp']),
          'webhook-signature': String(r.headers['webhook-signature']),
        }) as { rules: { id: string }[]; article: { title: string } },
    );
    expect(payloads.map((p) => p.article.title).sort()).toEqual(['Kyiv says truce must be verifiable', 'Talks resume in Istanbul']);
    expect(payloads.every((p) => p.rules[0]?.id === 'ukraine-ceasefire')).toBe(true);
    // The first failed attempts carry the same ids as the successful ones: one alert, retried.
    expect(new Set(posts.map((p) => p.headers['webhook-id'])).size).toBe(2);
  });

  it('records failing feeds in their health and still processes the others', async () => {
    const health = new HealthStore(pipeline.ctx.redis, pipeline.ctx.keys);
    const broken = await health.get('broken');
    expect(broken).toMatchObject({ errorClass: 'http', status: 500, consecutiveFailures: 1 });
    const garbage = await health.get('garbage');
    expect(garbage).toMatchObject({ errorClass: 'not-a-feed', consecutiveFailures: 1 });
    const wire = await health.get('wire');
    expect(wire).toMatchObject({ consecutiveFailures: 0, itemsInFeed: 3, newItems: 3 });
  });

  it('keeps no article text in Redis once the work is done, but among the bounded recent articles; ids are remembered for the keep window', async () => {
    const { redis, settings, keys } = pipeline.ctx;
    const text: string[] = [];
    const feedText: string[] = [];
    // The recent articles keep their text on purpose (previews of queries), bounded by age and count.
    const recent = new Set([keys.recentOrder(), keys.recentArticles()]);
    expect(await redis.hlen(keys.recentArticles())).toBeGreaterThan(0);
    for (const key of await redis.keys(`${settings.prefix}:*`)) {
      if (recent.has(key)) continue;
      // The alert feeds keep each story's title and summary by design (newest 100 per
      // subscription and rule, alert-feed-store.ts); never the page's text.
      if (keys.familyOf(key) === 'alertFeedEntries') {
        feedText.push(JSON.stringify(await redis.hgetall(key)));
        continue;
      }
      const type = await redis.type(key);
      if (type === 'string') text.push(String(await redis.get(key)));
      else if (type === 'hash') text.push(JSON.stringify(await redis.hgetall(key)));
      else if (type === 'zset' || type === 'set') text.push((await redis.zrange(key, 0, -1).catch(() => redis.smembers(key))).join(' '));
      else if (type === 'list') text.push((await redis.lrange(key, 0, -1)).join(' '));
      else if (type === 'stream') text.push(JSON.stringify(await redis.xrange(key, '-', '+')));
    }
    const all = text.join('\n');
    expect(all).toContain('a-'); // the article job ids are there …
    expect(all).not.toContain('Delegations met on Friday'); // … the feed's text is not
    expect(all).not.toContain('More rounds of peace talks'); // nor the page's
    expect(feedText.join('\n')).toContain('Delegations met on Friday');
    expect(feedText.join('\n')).not.toContain('More rounds of peace talks');
    expect(await pipeline.ctx.queues.article.getCompletedCount()).toBe(0);
    expect(await pipeline.ctx.queues.deliver.getCompletedCount()).toBe(0);
    const marks = await redis.keys(`${pipeline.ctx.keys.queue('article')}:de:a-*`.replace(/^/, `${settings.prefix}:`));
    expect(marks).toHaveLength(3);
    const ttl = await redis.pttl(marks[0]!);
    expect(ttl).toBeGreaterThan(settings.keepCompletedSeconds * 1000 - 60_000);
    expect(ttl).toBeLessThanOrEqual(settings.keepCompletedSeconds * 1000);
  });

  it('sends nothing new when the feeds are polled again', async () => {
    const emails = smtp.messages.length;
    const posts = http.requests.filter((r) => r.path === '/hook').length;
    await pollAllAndDrain(pipeline);
    expect(smtp.messages.length).toBe(emails);
    expect(http.requests.filter((r) => r.path === '/hook').length).toBe(posts);
    const health = new HealthStore(pipeline.ctx.redis, pipeline.ctx.keys);
    expect(await health.get('broken')).toMatchObject({ consecutiveFailures: 2 });
  });

  it('neither processes nor sends again when a feed is re-read after its seen set was lost (crash between queueing and remembering)', async () => {
    const emails = smtp.messages.length;
    const posts = http.requests.filter((r) => r.path === '/hook').length;
    const processed: string[] = [];
    pipeline.workers.find((w) => w.name === 'article')?.on('completed', (job) => processed.push(job.id ?? ''));
    await pipeline.ctx.redis.del(pipeline.ctx.keys.seen('wire'));
    await pollAllAndDrain(pipeline);
    expect(processed).toEqual([]);
    expect(smtp.messages.length).toBe(emails);
    expect(http.requests.filter((r) => r.path === '/hook').length).toBe(posts);
  });
});
