// Broken feeds are noticed (issue 11): a feed failing for longer than polling.flagAfter (1 s
// here) is told to the operator of settings.yaml once, by email (a real SMTP server) and by
// webhook (a real receiver that fails its first request, so the deliver queue's retry is used),
// and told once more when it recovers — with two pipelines polling the same feed at the same
// moment, as two worker processes would.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NoticePayload } from '../../src/alerts/operator-notice.js';
import { HealthStore } from '../../src/feeds/health.js';
import type { Pipeline } from '../../workers/index.js';
import { rss } from '../helpers/feeds.js';
import { startHttpServer, type TestServer } from '../helpers/http.js';
import { pollAllAndDrain, testPipeline, uniquePrefix, writeConfig } from '../helpers/pipeline.js';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp.js';

let http: TestServer;
let smtp: TestSmtp;
let pipelines: Pipeline[];
let feedUp = false;
let hookCalls = 0;

beforeAll(async () => {
  http = await startHttpServer();
  smtp = await startSmtpServer();
  http.route('/flaky.xml', (_req, res) => {
    if (feedUp) res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss([{ guid: 'a', title: 'Quiet day', link: 'http://example.invalid/a', description: 'Nothing.' }]));
    else res.writeHead(500).end('database down');
  });
  http.route('/ops-hook', (_req, res) => void res.writeHead(++hookCalls === 1 ? 503 : 204).end());
  const dir = await writeConfig({
    feeds: `feeds:\n  - { id: flaky, title: Flaky Wire, url: "${http.url}/flaky.xml" }\n`,
    rules: "rules:\n  - { id: truce, query: 'truce' }\n",
    subscriptions: 'subscriptions: []\n',
    settings: `polling:\n  flagAfter: 1s\noperator:\n  email: ops@example.org\n  webhook: { url: "${http.url}/ops-hook" }\n`,
  });
  const prefix = uniquePrefix();
  pipelines = [await testPipeline(dir, { smtpUrl: smtp.url, settings: { prefix } }), await testPipeline(dir, { smtpUrl: smtp.url, settings: { prefix } })];
  for (const p of pipelines) p.runWorkers();
});

afterAll(async () => {
  await Promise.all(pipelines.map((p) => p.close()));
  await smtp.close();
  await http.close();
});

/** Both pipelines poll the feed at once and wait until every queue (deliveries too) is empty. */
const pollFromBoth = () => Promise.all(pipelines.map((p) => pollAllAndDrain(p)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hookBodies = () => http.requests.filter((r) => r.path === '/ops-hook').map((r) => JSON.parse(r.body) as NoticePayload);
const delivered = () => [...new Map(hookBodies().map((b) => [b.id, b])).values()];

describe('operator notices for a broken feed', () => {
  it('says nothing while the feed has failed for less than polling.flagAfter', async () => {
    await pollFromBoth();
    const health = await new HealthStore(pipelines[0]!.ctx.redis, pipelines[0]!.ctx.keys).get('flaky');
    expect(health.consecutiveFailures).toBe(2);
    expect(health.flagged).toBe(false);
    expect(smtp.messages).toHaveLength(0);
    expect(hookCalls).toBe(0);
  });

  it('tells the operator once, by email and by webhook (retried after a 503), when it has failed for longer', async () => {
    await sleep(1_100);
    await pollFromBoth();
    await pollFromBoth(); // still failing: nothing new
    expect(smtp.messages).toHaveLength(1);
    const mail = smtp.messages[0]!;
    expect(mail.to).toMatchObject({ text: 'ops@example.org' });
    expect(mail.subject).toMatch(/^Newswatch: feed "flaky" has been failing since \d{4}-\d\d-\d\dT/);
    expect(mail.text).toContain('The feed flaky (Flaky Wire) has failed');
    expect(mail.text).toContain('HTTP 500');
    expect(mail.text).toContain(`${http.url}/flaky.xml`);

    expect(hookCalls).toBe(2); // the 503, then its retry
    const [notice] = delivered();
    expect(delivered()).toHaveLength(1);
    expect(notice).toMatchObject({ type: 'feed.failing', version: 1, feed: { id: 'flaky', title: 'Flaky Wire', url: `${http.url}/flaky.xml` } });
    expect(notice?.failures).toBeGreaterThanOrEqual(3);
    expect(notice?.error).toContain('HTTP 500');
    expect((await new HealthStore(pipelines[0]!.ctx.redis, pipelines[0]!.ctx.keys).get('flaky')).flagged).toBe(true);
  });

  it('tells the operator once more when the feed answers again', async () => {
    feedUp = true;
    await pollFromBoth();
    await pollFromBoth();
    expect(smtp.messages).toHaveLength(2);
    expect(smtp.messages[1]?.subject).toBe('Newswatch: feed "flaky" has recovered');
    expect(smtp.messages[1]?.text).toMatch(/answered again at .*after \d+ failed poll\(s\) since/);
    expect(delivered().map((b) => b.type)).toEqual(['feed.failing', 'feed.recovered']);
    expect(delivered()[1]?.failingSince).toBe(delivered()[0]?.failingSince);
  });

  it('tells again about the next long failure, and never about a short one', async () => {
    feedUp = false;
    await pollFromBoth();
    feedUp = true;
    await pollFromBoth(); // recovered before the threshold: no notice either way
    expect(smtp.messages).toHaveLength(2);
    feedUp = false;
    await pollFromBoth();
    await sleep(1_100);
    await pollFromBoth();
    expect(smtp.messages).toHaveLength(3);
    expect(smtp.messages[2]?.subject).toMatch(/has been failing since/);
    expect(delivered().map((b) => b.type)).toEqual(['feed.failing', 'feed.recovered', 'feed.failing']);
  });
});

describe('the per-feed notice flag', () => {
  it('is won by exactly one of many concurrent claims, and handed back by exactly one of concurrent successes', async () => {
    const { redis, keys } = pipelines[0]!.ctx;
    const health = new HealthStore(redis, keys);
    const feedId = `race-${Date.now()}`;
    await health.recordFailure(feedId, { errorClass: 'http', error: 'HTTP 500' });
    const claims = await Promise.all(Array.from({ length: 10 }, () => health.claimOperatorNotice(feedId)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    const next = { at: Date.now() + 60_000, reason: 'schedule' as const };
    const ends = await Promise.all(Array.from({ length: 5 }, () => health.recordSuccess(feedId, { status: 200, newItems: 0, next })));
    expect(ends.filter(Boolean)).toEqual([{ failingSince: expect.any(String), failures: 1 }]);
    expect(await health.claimOperatorNotice(feedId)).toBe(true); // a new run of failures may be told again
  });
});
