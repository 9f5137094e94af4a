// Article pages that are not HTML (issue 13 item 6): an image, an octet stream or a PDF behind an
// item's link is not decoded as text and matched; it is logged with its content type and the
// article is matched on the feed text. Real HTTP server, real SMTP server, the run's Redis.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pipeline } from '../../workers/index.js';
import { serve, startHttpServer, type TestServer } from '../helpers/http.js';
import { pollAllAndDrain, recordingLogger, testPipeline, writeConfig } from '../helpers/pipeline.js';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp.js';

// Bytes that would match the rule if they were read as text.
const BINARY_WITH_TEXT = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from(' Kyiv agrees to a truce in Ukraine '.repeat(20))]);

describe('article pages that are not HTML', () => {
  let http: TestServer;
  let smtp: TestSmtp;
  let pipeline: Pipeline;
  const { log, lines } = recordingLogger();

  beforeAll(async () => {
    http = await startHttpServer();
    smtp = await startSmtpServer();
    const base = http.url;
    const date = new Date().toUTCString();
    const item = (id: string, title: string) => `<item><guid>${id}</guid><title>${title}</title><link>${base}/${id}</link><description>Weather and sport.</description><pubDate>${date}</pubDate></item>`;
    http.route('/wire.xml', serve(`<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>${item('image', 'Picture of the day')}${item('blob', 'Download')}${item('page', 'Morning briefing')}</channel></rss>`, 'application/rss+xml'));
    http.route('/image', (_req, res) => void res.writeHead(200, { 'content-type': 'image/png' }).end(BINARY_WITH_TEXT));
    http.route('/blob', (_req, res) => void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(BINARY_WITH_TEXT));
    http.route('/page', serve(`<html><body><article>${'<p>Kyiv agrees to a truce in Ukraine, officials confirm on the page.</p>'.repeat(5)}</article></body></html>`, 'text/html; charset=utf-8'));
    const dir = await writeConfig({
      feeds: `feeds:\n  - id: wire\n    url: ${base}/wire.xml\n    fetchArticle: true\n`,
      rules: `rules:\n  - id: ceasefire\n    query: '(ukraine OR kyiv) AND (ceasefire OR truce)'\n`,
      subscriptions: `subscriptions:\n  - id: desk\n    email: desk@example.org\n    rules: [ceasefire]\n`,
    });
    pipeline = await testPipeline(dir, { smtpUrl: smtp.url, log });
    pipeline.runWorkers();
    await pollAllAndDrain(pipeline, 60_000);
  }, 90_000);

  afterAll(async () => {
    await pipeline?.close();
    await smtp?.close();
    await http?.close();
  });

  it('logs an image and an octet stream with their content type and matches those articles on the feed text', () => {
    const skipped = lines.filter((l) => l.msg === 'article page not extracted; matching feed text' && l.errorClass === 'not-html');
    expect(skipped.map((l) => l.url).sort()).toEqual([`${http.url}/blob`, `${http.url}/image`]);
    expect(skipped.map((l) => l.err).join('\n')).toContain('not an HTML page (content type image/png)');
    expect(skipped.map((l) => l.err).join('\n')).toContain('content type application/octet-stream');
    // The feed text ("Weather and sport.") does not match: no alert from the binary bytes.
    expect(smtp.messages.map((m) => m.subject)).toEqual(['ceasefire: Morning briefing']);
  });
});
