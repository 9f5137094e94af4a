// Issue 13 item 5: a feed item with a 9 MB title, polled for real (HTTP feed on 127.0.0.1, the
// run's Redis, a real SMTP server, a webhook receiver), reaches the subscriber as an alert whose
// subject and webhook body are bounded; no log line carries the title whole.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIELD_LIMITS } from '../../src/feeds/bounds.js';
import type { Pipeline } from '../../workers/index.js';
import { serve, startHttpServer, type TestServer } from '../helpers/http.js';
import { pollAllAndDrain, recordingLogger, testPipeline, writeConfig } from '../helpers/pipeline.js';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp.js';

const TITLE = `Ukraine ceasefire talks resume ${Array.from({ length: 1_500_000 }, () => 'words').join(' ')}`;

describe('an item with a 9 MB title', () => {
  let http: TestServer;
  let smtp: TestSmtp;
  let pipeline: Pipeline;
  const { log, lines } = recordingLogger();

  beforeAll(async () => {
    http = await startHttpServer();
    smtp = await startSmtpServer();
    http.route('/hook', serve('', 'text/plain', 204));
    http.route(
      '/huge.xml',
      serve(
        `<?xml version="1.0"?><rss version="2.0"><channel><title>Huge</title><item><guid>huge-1</guid><title>${TITLE}</title>` +
          `<link>${http.url}/a/1</link><description>Kyiv and Moscow delegations meet.</description><pubDate>${new Date().toUTCString()}</pubDate></item></channel></rss>`,
        'application/rss+xml',
      ),
    );
    const dir = await writeConfig({
      feeds: `feeds:\n  - { id: huge, url: "${http.url}/huge.xml" }\n`,
      rules: `rules:\n  - id: ceasefire\n    name: Ceasefire\n    query: 'ukraine AND ceasefire'\n`,
      subscriptions: `subscriptions:\n  - { id: desk, email: desk@example.org, rules: [ceasefire] }\n  - { id: hook, webhook: { url: "${http.url}/hook" }, rules: [ceasefire] }\n`,
    });
    expect(TITLE.length).toBeGreaterThan(9_000_000);
    pipeline = await testPipeline(dir, { smtpUrl: smtp.url, log });
    pipeline.runWorkers();
    await pollAllAndDrain(pipeline, 60_000);
  }, 120_000);

  afterAll(async () => {
    await pipeline?.close();
    await smtp?.close();
    await http?.close();
  });

  it('sends one email whose subject is the bounded title, cut on a word with an ellipsis', () => {
    expect(smtp.messages).toHaveLength(1);
    const subject = smtp.messages[0]?.subject ?? '';
    expect(subject.startsWith('Ceasefire: Ukraine ceasefire talks resume words')).toBe(true);
    expect(subject.endsWith('words…')).toBe(true);
    expect(subject.length).toBeLessThanOrEqual('Ceasefire: '.length + FIELD_LIMITS.title);
  });

  it('posts a webhook of a few kilobytes whose title is bounded', () => {
    const hooks = http.requests.filter((r) => r.path === '/hook');
    expect(hooks).toHaveLength(1);
    expect(hooks[0]?.body.length).toBeLessThan(8_000);
    const title = JSON.stringify(JSON.parse(hooks[0]?.body ?? '{}')).match(/"title":"([^"]*)"/)?.[1] ?? '';
    expect(title.startsWith('Ukraine ceasefire talks resume')).toBe(true);
    expect(title.length).toBeLessThanOrEqual(FIELD_LIMITS.title);
  });

  it('keeps every log line short', () => {
    expect(lines.length).toBeGreaterThan(0);
    expect(Math.max(...lines.map((l) => JSON.stringify(l).length))).toBeLessThan(8_000);
  });
});
