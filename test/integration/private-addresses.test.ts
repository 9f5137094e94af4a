// Links that strangers write may not lead the worker into the private network (SSRF, issue 13
// item 3): a feed the operator runs on 127.0.0.1 still gets its own pages fetched, but its items
// may not send the worker to 127.0.0.2 (a private host: Linux routes all of 127/8 to the loopback
// interface), directly or by redirect; `newswatch extract` refuses the same, and webhooks created
// through the API may not target it either, where the operator's YAML webhooks may.
// Real HTTP servers, real SMTP server, the run's throwaway Redis.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SubscriptionStore, type StoredSubscription } from '../../src/alerts/subscription-store.js';
import type { Pipeline } from '../../workers/index.js';
import { runCli } from '../helpers/cli.js';
import { serve, startHttpServer, type TestServer } from '../helpers/http.js';
import { pollAllAndDrain, recordingLogger, testPipeline, writeConfig } from '../helpers/pipeline.js';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp.js';

const page = (text: string) => `<!doctype html><html><head><title>Page</title></head><body><article>${Array.from({ length: 5 }, () => `<p>${text}</p>`).join('')}</article></body></html>`;

function rss(items: { guid: string; title: string; link: string; description: string }[]): string {
  const date = new Date().toUTCString();
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>Local wire</title>${items
    .map((i) => `<item><guid>${i.guid}</guid><title>${i.title}</title><link>${i.link}</link><description>${i.description}</description><pubDate>${date}</pubDate></item>`)
    .join('')}</channel></rss>`;
}

let feedHost: TestServer;
let privateHost: TestServer;
let smtp: TestSmtp;

beforeAll(async () => {
  feedHost = await startHttpServer('127.0.0.1');
  privateHost = await startHttpServer('127.0.0.2');
  smtp = await startSmtpServer();
  const secret = 'Internal memo: Kyiv agrees to a truce in Ukraine, says the admin panel of a private host.';
  privateHost.route('/secret', serve(page(secret), 'text/html'));
  privateHost.route('/hook', serve('ok', 'text/plain'));
  feedHost.route('/own', serve(page('The page itself says Kyiv agrees to a truce in Ukraine, officials confirm.'), 'text/html'));
  feedHost.route('/bounce', (_req, res) => void res.writeHead(302, { location: `${privateHost.url}/secret` }).end());
  feedHost.route(
    '/wire.xml',
    serve(
      rss([
        { guid: 'own', title: 'Morning briefing', link: `${feedHost.url}/own`, description: 'Weather and sport.' },
        { guid: 'direct', title: 'Direct link', link: `${privateHost.url}/secret`, description: 'Kyiv agrees to a ceasefire in Ukraine.' },
        { guid: 'redirect', title: 'Redirected link', link: `${feedHost.url}/bounce`, description: 'Ukraine ceasefire talks, says Kyiv.' },
      ]),
      'application/rss+xml',
    ),
  );
});

afterAll(async () => {
  await smtp?.close();
  await feedHost?.close();
  await privateHost?.close();
});

describe('article pages of a feed on 127.0.0.1', () => {
  let pipeline: Pipeline;
  const { log, lines } = recordingLogger();

  beforeAll(async () => {
    const dir = await writeConfig({
      feeds: `feeds:\n  - id: wire\n    url: ${feedHost.url}/wire.xml\n    fetchArticle: true\n`,
      rules: `rules:\n  - id: ceasefire\n    query: '(ukraine OR kyiv) AND (ceasefire OR truce)'\n`,
      subscriptions: `subscriptions:\n  - id: desk\n    email: desk@example.org\n    rules: [ceasefire]\n`,
    });
    pipeline = await testPipeline(dir, { smtpUrl: smtp.url, log });
    pipeline.runWorkers();
    await pollAllAndDrain(pipeline, 60_000);
  }, 90_000);

  afterAll(async () => {
    await pipeline?.close();
  });

  it("fetches the feed host's own page and matches on its text", () => {
    expect(feedHost.requests.map((r) => r.path)).toContain('/own');
    expect(smtp.messages.map((m) => m.subject)).toContain('ceasefire: Morning briefing');
  });

  it('refuses a link to 127.0.0.2 and a redirect there, logs each, and matches on the feed text', () => {
    expect(privateHost.requests.filter((r) => r.path === '/secret')).toHaveLength(0);
    const refused = lines.filter((l) => l.msg === 'article page not extracted; matching feed text' && l.errorClass === 'blocked-address');
    expect(refused.map((l) => l.url).sort()).toEqual([`${feedHost.url}/bounce`, `${privateHost.url}/secret`]);
    for (const line of refused) expect(line.err).toContain('refused to connect to 127.0.0.2: a loopback address');
    const texts = smtp.messages.filter((m) => m.subject === 'ceasefire: Direct link' || m.subject === 'ceasefire: Redirected link').map((m) => m.text ?? '');
    expect(texts).toHaveLength(2);
    for (const text of texts) expect(text).not.toContain('Internal memo');
  });
});

describe('newswatch extract URL', () => {
  it('refuses a redirect to a private address in one line, and reads it with --allow-private', async () => {
    const dir = await writeConfig({ feeds: `feeds:\n  - { id: wire, url: "${feedHost.url}/wire.xml" }\n`, rules: 'rules: []\n', subscriptions: 'subscriptions: []\n' });
    const refused = await runCli(['--config', dir, 'extract', `${feedHost.url}/bounce`], {});
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${privateHost.url}/secret: refused to connect to 127.0.0.2: a loopback address`);
    expect(refused.stderr).toContain('--allow-private');
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(privateHost.requests.filter((r) => r.path === '/secret')).toHaveLength(0);

    const allowed = await runCli(['--config', dir, 'extract', '--allow-private', `${feedHost.url}/bounce`], {});
    expect(allowed.stdout).toContain('Internal memo');
  }, 180_000);
});

describe('webhooks to a private address', () => {
  let pipeline: Pipeline;
  const { log, lines } = recordingLogger();

  beforeAll(async () => {
    const dir = await writeConfig({
      feeds: `feeds:\n  - id: wire\n    url: ${feedHost.url}/wire.xml\n`,
      rules: `rules:\n  - id: own\n    query: 'briefing'\n`,
      subscriptions: `subscriptions:\n  - id: operator-hook\n    webhook: { url: "${privateHost.url}/hook?from=yaml" }\n    rules: [own]\n`,
    });
    pipeline = await testPipeline(dir, { log });
    const api: StoredSubscription = {
      id: 'api-hook',
      webhook: { url: `${privateHost.url}/hook?from=api`, format: 'standard' },
      rules: ['own'],
      delivery: 'immediate',
      timezone: 'UTC',
      maxPerDigest: 50,
      paused: false,
      createdAt: new Date().toISOString(),
      origin: 'api',
    };
    await new SubscriptionStore(pipeline.ctx.redis, pipeline.ctx.keys).write(api.id, undefined, api);
    await pipeline.ctx.directory.caughtUp();
    pipeline.runWorkers();
    await pollAllAndDrain(pipeline, 60_000);
  }, 90_000);

  afterAll(async () => {
    await pipeline?.close();
  });

  it("are sent when the operator's YAML names them, and refused at once, without retries, when created through the API", async () => {
    const hooks = privateHost.requests.filter((r) => r.path === '/hook');
    expect(hooks).toHaveLength(1);
    expect(hooks[0]?.body).toContain('Morning briefing');
    const failed = await pipeline.ctx.queues.deliver.getFailed();
    expect(failed.map((j) => [j.data.subscriptionId, j.attemptsMade])).toEqual([['api-hook', 1]]);
    expect(failed[0]?.failedReason).toContain('refused to connect to 127.0.0.2: a loopback address');
    expect(lines.find((l) => l.msg === 'webhook target refused: a private address')).toMatchObject({ subscriptionId: 'api-hook' });
  });
});
