// Delivery guarantees on real parts (HTTP receivers, SMTP server, the run's Redis): one alert per
// story across syndicated copies, digests on their cron schedule, Slack/Discord formats, 410
// Gone, and exhausted deliveries re-driven with `newswatch retry`.

import type { Job } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import pino from 'pino';
import { retryCommand } from '../../src/cli/failed.js';
import { previewCommand } from '../../src/cli/preview.js';
import { verifyUnsubscribeToken } from '../../src/alerts/unsubscribe.js';
import { SubscriptionState } from '../../src/alerts/subscriptions.js';
import type { Pipeline } from '../../workers/index.js';
import { digestSchedule } from '../../workers/index.js';
import { rss, type FeedItem } from '../helpers/feeds.js';
import { serve, startHttpServer, type TestServer } from '../helpers/http.js';
import { drain, pollAllAndDrain, testPipeline, writeConfig } from '../helpers/pipeline.js';
import { listUnsubscribeUrl, rawHeader, startSmtpServer, type TestSmtp } from '../helpers/smtp.js';

const LEAD =
  'Ukrainian and Russian negotiators will meet in Istanbul next week to discuss a ceasefire, officials said on Friday, the first direct talks since the spring. The delegations will be led by senior defence officials.';

let http: TestServer;
let smtp: TestSmtp;
let pipeline: Pipeline | undefined;
const feeds = new Map<string, FeedItem[]>();

beforeAll(async () => {
  http = await startHttpServer();
  smtp = await startSmtpServer();
  for (const name of ['wire', 'paper', 'blog']) {
    http.route(`/${name}.xml`, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss(feeds.get(name) ?? [], name));
    });
  }
});

afterEach(async () => {
  await pipeline?.close();
  pipeline = undefined;
  smtp.messages.length = 0;
  http.requests.length = 0;
  feeds.clear();
});

afterAll(async () => {
  await smtp.close();
  await http.close();
});

const FEEDS = () => `feeds:
  - { id: wire, title: Wire Service, url: "${http.url}/wire.xml" }
  - { id: paper, title: Daily Paper, url: "${http.url}/paper.xml" }
  - { id: blog, title: War Blog, url: "${http.url}/blog.xml" }
`;
const RULES = `rules:
  - id: ukraine-ceasefire
    name: Ukraine ceasefire talks
    query: '(ukraine OR kyiv OR ukrainian) AND (ceasefire OR truce OR "peace talks")'
  - id: black-sea
    name: Black Sea shipping
    query: '(odesa OR "black sea") AND (grain OR shipping OR port)'
`;

describe('one alert per story', () => {
  it('sends one email for a story syndicated with an edited headline and the same URL in two feeds', async () => {
    feeds.set('wire', [{ guid: 'w1', title: 'Ukraine and Russia agree to resume ceasefire talks in Istanbul', link: `${http.url}/w/1`, description: `KYIV (Reuters) - ${LEAD}` }]);
    feeds.set('paper', [
      { guid: 'p1', title: 'Russia, Ukraine to hold new round of ceasefire talks in Istanbul', link: `${http.url}/p/77`, description: LEAD.replace('defence officials', 'defence ministry officials') },
      { guid: 'p2', title: 'Grain ship leaves Odesa port despite drone attacks', link: `${http.url}/p/78`, description: 'A bulk carrier loaded with wheat left the port of Odesa on Saturday.' },
    ]);
    feeds.set('blog', [{ guid: 'b1', title: 'Reposted: Ukraine and Russia agree to resume ceasefire talks', link: `${http.url}/w/1?utm_source=blog`, description: 'Via the wire.' }]);
    const dir = await writeConfig({
      feeds: FEEDS(),
      rules: RULES,
      subscriptions: `subscriptions:
  - { id: desk, email: desk@example.org, rules: [ukraine-ceasefire, black-sea] }
  - { id: analyst, email: analyst@example.org, keywords: 'ceasefire istanbul -football' }
`,
    });
    pipeline = await testPipeline(dir, { smtpUrl: smtp.url });
    pipeline.runWorkers();
    // The wire's original first: the blog's "Via the wire." copy shares only its URL with it and
    // the paper's only its text, so whichever of those two came first would found a story of
    // its own (docs/architecture.md, "syndicated copies").
    await pollAllAndDrain(pipeline, 20_000, ['wire']);
    await pollAllAndDrain(pipeline, 20_000, ['paper', 'blog']);

    const to = (addr: string) => smtp.messages.filter((m) => (m.to && 'text' in m.to ? m.to.text : '') === addr);
    expect(to('desk@example.org').map((m) => m.subject).sort()).toEqual([
      'Black Sea shipping: Grain ship leaves Odesa port despite drone attacks',
      expect.stringMatching(/^Ukraine ceasefire talks: .*ceasefire talks in Istanbul$/),
    ]);
    expect(to('analyst@example.org')).toHaveLength(1);
    expect(to('analyst@example.org')[0]?.subject).toMatch(/^Keywords: ceasefire istanbul -football: /);

    // Polling again, and a later copy in another feed, add nothing.
    feeds.set('blog', [...(feeds.get('blog') ?? []), { guid: 'b2', title: 'Ceasefire talks in Istanbul next week, Ukraine and Russia agree', link: `${http.url}/b/2`, description: LEAD }]);
    await pollAllAndDrain(pipeline);
    expect(smtp.messages).toHaveLength(3);
  });

  it('keeps different stories on the same topic apart', async () => {
    feeds.set('wire', [{ guid: 'w1', title: 'Ukraine and Russia agree to resume ceasefire talks in Istanbul', link: `${http.url}/w/1`, description: LEAD }]);
    feeds.set('paper', [
      { guid: 'p1', title: 'Ukraine says ceasefire talks must include monitors', link: `${http.url}/p/1`, description: 'Kyiv insisted on Friday that any ceasefire agreed in Istanbul must be verified by international monitors, as negotiators prepared for a new round.' },
    ]);
    const dir = await writeConfig({ feeds: FEEDS(), rules: RULES, subscriptions: 'subscriptions:\n  - { id: desk, email: desk@example.org, rules: [ukraine-ceasefire] }\n' });
    pipeline = await testPipeline(dir, { smtpUrl: smtp.url });
    pipeline.runWorkers();
    await pollAllAndDrain(pipeline);
    expect(smtp.messages).toHaveLength(2);
  });
});

describe('digests', () => {
  const SUBS = `subscriptions:
  - id: morning
    email: morning@example.org
    rules: [ukraine-ceasefire, black-sea]
    delivery: digest
    digest: { cron: "0 8 * * *" }
    timezone: Europe/Kyiv
    maxPerDigest: 2
`;

  async function digestJob(p: Pipeline): Promise<Job> {
    const delayed = await p.ctx.queues.digest.getDelayed();
    expect(delayed).toHaveLength(1);
    return delayed[0] as Job;
  }

  it('collects matches and sends them at the cron boundary, grouped by rule, with other sources and "N more"', async () => {
    feeds.set('wire', [
      { guid: 'w1', title: 'Ukraine and Russia agree to resume ceasefire talks in Istanbul', link: `${http.url}/w/1`, description: LEAD, published: new Date(Date.now() - 3_600_000) },
      { guid: 'w2', title: 'Kyiv wants monitors for any truce', link: `${http.url}/w/2`, description: 'Ukraine insists on monitors before a truce.', published: new Date(Date.now() - 7_200_000) },
    ]);
    feeds.set('paper', [
      { guid: 'p1', title: 'Russia, Ukraine to hold new round of ceasefire talks in Istanbul', link: `${http.url}/p/1`, description: LEAD },
      { guid: 'p2', title: 'Grain ship leaves Odesa port', link: `${http.url}/p/2`, description: 'A bulk carrier with grain left the port of Odesa.', published: new Date(Date.now() - 60_000) },
    ]);
    const dir = await writeConfig({ feeds: FEEDS(), rules: RULES, subscriptions: SUBS });
    pipeline = await testPipeline(dir, { smtpUrl: smtp.url });
    await pipeline.syncSchedulers();
    pipeline.runWorkers();
    await pollAllAndDrain(pipeline);
    expect(smtp.messages).toHaveLength(0); // nothing before the digest time

    // The scheduler's next run is the next 08:00 in Kyiv.
    const job = await digestJob(pipeline);
    const runAt = new Date((await pipeline.ctx.queues.digest.getJobScheduler('digest-morning'))!.next!);
    expect(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Kyiv', hour: '2-digit', minute: '2-digit' }).format(runAt)).toBe('08:00');
    expect(runAt.getTime()).toBeGreaterThan(Date.now());
    expect(runAt.getTime() - Date.now()).toBeLessThanOrEqual(86_400_000);

    // Drive time: promote the delayed run instead of waiting for 08:00.
    await job.promote();
    await drain(pipeline);
    expect(smtp.messages).toHaveLength(1);
    const mail = smtp.messages[0]!;
    expect(mail.subject).toBe('Newswatch digest: 3 stories — Ukraine ceasefire talks, Black Sea shipping');
    // A digest carries the one-click unsubscribe headers as an alert does (RFC 8058).
    expect(new URL(listUnsubscribeUrl(mail)).searchParams.get('s')).toBe('morning');
    expect(rawHeader(mail, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    const text = mail.text ?? '';
    // Newest two make the cut (maxPerDigest: 2); the third is counted.
    // The words found in the headline are marked in plain text as in HTML.
    expect(text).toContain('*Grain* *ship* leaves *Odesa* *port*');
    expect(text).toContain('*ceasefire* talks in Istanbul');
    expect(text).not.toContain('Kyiv wants monitors');
    expect(text).toContain('… and 1 more story not listed here.');
    expect(text).toMatch(/Also reported by: (Daily Paper|Wire Service) </);
    expect(text.indexOf('== Black Sea shipping (1) ==')).toBeGreaterThanOrEqual(0);
    expect(text).toMatch(/\d{1,2} \w{3} \d{4}, \d\d:\d\d (EET|EEST|GMT\+[23])/);

    // The next run has nothing to send and sends nothing.
    await (await digestJob(pipeline)).promote();
    await drain(pipeline);
    expect(smtp.messages).toHaveLength(1);
  });

  it('schedules 08:00 local across the daylight-saving changes of the subscription time zone', async () => {
    const dir = await writeConfig({ feeds: FEEDS(), rules: RULES, subscriptions: SUBS });
    pipeline = await testPipeline(dir, { smtpUrl: smtp.url });
    const sub = pipeline.ctx.config.subscriptions[0]!;
    const nextRun = async (from: string) => {
      const queue = pipeline!.ctx.queues.digest;
      await queue.upsertJobScheduler(`dst-${from}`, { ...digestSchedule(sub), startDate: from }, { name: 'digest', data: { subscriptionId: 'none' } });
      return new Date((await queue.getJobScheduler(`dst-${from}`))!.next!).toISOString();
    };
    // Kyiv is UTC+2 in winter and UTC+3 in summer; clocks change on the last Sundays of March and October.
    expect(await nextRun('2027-03-27T12:00:00Z')).toBe('2027-03-28T05:00:00.000Z');
    expect(await nextRun('2027-03-26T12:00:00Z')).toBe('2027-03-27T06:00:00.000Z');
    expect(await nextRun('2027-10-30T12:00:00Z')).toBe('2027-10-31T06:00:00.000Z');
  });

  it('drains a bucket atomically: an article added during a run lands in the next digest', async () => {
    const dir = await writeConfig({ feeds: FEEDS(), rules: RULES, subscriptions: SUBS });
    pipeline = await testPipeline(dir, { smtpUrl: smtp.url });
    const { DigestStore } = await import('../../src/alerts/digest-store.js');
    const store = new DigestStore(pipeline.ctx.redis, pipeline.ctx.keys, 3_600_000);
    const entry = (id: string) => ({ storyId: id, article: { id, feed: 'wire', title: id }, source: 'Wire', rules: [], matchedAt: new Date().toISOString(), also: [] });
    expect(await store.add('morning', entry('s1'), false)).toBe('added');
    expect(await store.drain('morning', 'run-1')).toBe(true);
    expect(await store.add('morning', entry('s2'), false)).toBe('added');
    // A retried run finds its own batch again, not the newer bucket.
    expect(await store.drain('morning', 'run-1')).toBe(true);
    expect((await store.readBatch('morning', 'run-1')).map((e) => e.storyId)).toEqual(['s1']);
    await store.deleteBatch('morning', 'run-1');
    expect(await store.drain('morning', 'run-2')).toBe(true);
    expect((await store.readBatch('morning', 'run-2')).map((e) => e.storyId)).toEqual(['s2']);
    // A story already sent in a digest does not come back in a later one.
    expect(await store.add('morning', entry('s1'), false)).toBe('sent-before');
  });
});

describe('email headers and preview', () => {
  it('adds RFC 8058 one-click unsubscribe headers with an HMAC token when PUBLIC_URL is set', async () => {
    feeds.set('wire', [{ guid: 'w1', title: 'Kyiv ready for truce talks', link: `${http.url}/w/1`, description: 'Ukraine says a truce is possible.' }]);
    const dir = await writeConfig({ feeds: FEEDS(), rules: RULES, subscriptions: 'subscriptions:\n  - { id: desk, email: desk@example.org, rules: [ukraine-ceasefire] }\n' });
    pipeline = await testPipeline(dir, { smtpUrl: smtp.url, settings: { publicUrl: 'https://news.example.org/nw', secret: 'link-secret', unsubscribeMailto: 'leave@news.example.org' } });
    pipeline.runWorkers();
    await pollAllAndDrain(pipeline);
    const mail = smtp.messages[0]!;
    const url = new URL(listUnsubscribeUrl(mail));
    expect(url.origin + url.pathname).toBe('https://news.example.org/nw/unsubscribe');
    expect(url.searchParams.get('s')).toBe('desk');
    expect(verifyUnsubscribeToken('link-secret', 'desk', url.searchParams.get('t') ?? '')).toBe(true);
    expect(verifyUnsubscribeToken('link-secret', 'other', url.searchParams.get('t') ?? '')).toBe(false);
    expect(rawHeader(mail, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    expect(mail.text).toContain(`Unsubscribe: ${url.toString()}`);
    // delivery.unsubscribeMailto: the address beside the link, the subscription in the subject, the link in the body.
    const mailto = /<(mailto:[^>]+)>/.exec(rawHeader(mail, 'list-unsubscribe'))?.[1] ?? '';
    expect(mailto).toBe(`mailto:leave@news.example.org?subject=unsubscribe%20desk&body=${encodeURIComponent(url.toString())}`);
  });

  it('renders the next digest to files with `newswatch preview` without draining or sending it', async () => {
    feeds.set('wire', [{ guid: 'w1', title: 'Kyiv ready for truce talks', link: `${http.url}/w/1`, description: 'Ukraine says a truce is possible.' }]);
    const dir = await writeConfig({
      feeds: FEEDS(),
      rules: RULES,
      subscriptions: 'subscriptions:\n  - { id: weekly, email: w@example.org, rules: [ukraine-ceasefire], delivery: digest, digest: weekly }\n',
    });
    pipeline = await testPipeline(dir, { smtpUrl: smtp.url });
    pipeline.runWorkers();
    await pollAllAndDrain(pipeline);
    const data = await mkdtemp(join(tmpdir(), 'newswatch-preview-'));
    const env = { REDIS_URL: inject('redisUrl'), NEWSWATCH_PREFIX: pipeline.ctx.settings.prefix };
    expect(await previewCommand({ configDir: dir, dataDir: data }, env, pino({ level: 'silent' }), 'weekly')).toBe(0);
    const text = await readFile(join(data, 'preview', 'weekly.txt'), 'utf8');
    expect(text).toContain('== Ukraine ceasefire talks (1) ==');
    expect(text).toContain('*Kyiv* ready for *truce* talks');
    const eml = await simpleParser(await readFile(join(data, 'preview', 'weekly.eml')));
    expect(eml.subject).toBe('Newswatch digest: 1 story — Ukraine ceasefire talks');
    expect(smtp.messages).toHaveLength(0);
    // Still in the bucket for the real run.
    const { DigestStore } = await import('../../src/alerts/digest-store.js');
    expect(await new DigestStore(pipeline.ctx.redis, pipeline.ctx.keys, 1000).peek('weekly')).toHaveLength(1);
  });
});

describe('webhooks', () => {
  const story: FeedItem = { guid: 'w1', title: 'Kyiv says truce & monitors: 2 < 3 sides agree', link: '', description: 'Ukraine wants monitors for any ceasefire, @everyone.' };

  async function run(subscriptions: string, settings = {}) {
    feeds.set('wire', [{ ...story, link: `${http.url}/w/1` }]);
    const dir = await writeConfig({ feeds: FEEDS(), rules: RULES, subscriptions });
    pipeline = await testPipeline(dir, { smtpUrl: smtp.url, settings });
    pipeline.runWorkers();
    await pollAllAndDrain(pipeline);
    return pipeline;
  }

  it('formats for Slack and Discord incoming webhooks', async () => {
    http.route('/slack', serve('ok', 'text/plain'));
    http.route('/discord', serve('', 'text/plain', 204));
    await run(`subscriptions:
  - { id: slack, webhook: { url: "${http.url}/slack", format: slack }, rules: [ukraine-ceasefire] }
  - { id: discord, webhook: { url: "${http.url}/discord", format: discord }, rules: [ukraine-ceasefire] }
`);
    const slack = JSON.parse(http.requests.find((r) => r.path === '/slack')?.body ?? '{}') as { text: string };
    expect(slack.text).toContain(`*<${http.url}/w/1|Kyiv says truce &amp; monitors: 2 &lt; 3 sides agree>*`);
    expect(slack.text).toContain('_Matched: Ukraine ceasefire talks_');
    const discord = JSON.parse(http.requests.find((r) => r.path === '/discord')?.body ?? '{}');
    expect(discord).toMatchObject({
      embeds: [{ title: 'Kyiv says truce & monitors: 2 < 3 sides agree', url: `${http.url}/w/1`, footer: { text: 'Wire Service · Matched: Ukraine ceasefire talks' } }],
      allowed_mentions: { parse: [] },
    });
    expect(discord.embeds[0].description).toContain('Ukraine wants monitors');
  });

  it('disables a subscription whose receiver answers 410 Gone, without retrying', async () => {
    http.route('/gone', serve('gone', 'text/plain', 410));
    const p = await run(`subscriptions:\n  - { id: gone, webhook: { url: "${http.url}/gone" }, rules: [ukraine-ceasefire] }\n`);
    expect(http.requests.filter((r) => r.path === '/gone')).toHaveLength(1);
    const disabled = await new SubscriptionState(p.ctx.redis, p.ctx.keys).disabled();
    expect(disabled.get('gone')).toContain('410 Gone');
    expect(await p.ctx.queues.deliver.getFailedCount()).toBe(0);

    // Later matches are not even queued for it.
    feeds.set('wire', [...(feeds.get('wire') ?? []), { guid: 'w2', title: 'Ceasefire in Ukraine holds', link: `${http.url}/w/2`, description: 'Kyiv reports a quiet night.' }]);
    await pollAllAndDrain(p);
    expect(http.requests.filter((r) => r.path === '/gone')).toHaveLength(1);
  });

  it('keeps an exhausted delivery as failed and delivers it once on `newswatch retry --all`', async () => {
    let up = false;
    http.route('/flaky', (_req, res) => void res.writeHead(up ? 200 : 503).end());
    const p = await run(`subscriptions:\n  - { id: hook, webhook: { url: "${http.url}/flaky" }, rules: [ukraine-ceasefire] }\n`, { deliverAttempts: 3 });
    expect(http.requests.filter((r) => r.path === '/flaky')).toHaveLength(3);
    const failed = await p.ctx.queues.deliver.getFailed();
    expect(failed).toHaveLength(1);
    expect(failed[0]?.failedReason).toContain('HTTP 503');

    up = true;
    const out: string[] = [];
    const sink = { write: (s: string) => out.push(s) } as unknown as NodeJS.WritableStream;
    const env = { REDIS_URL: inject('redisUrl'), NEWSWATCH_PREFIX: p.ctx.settings.prefix };
    const code = await retryCommand({ configDir: p.ctx.config.dir, dataDir: p.ctx.config.dir }, env, pino({ level: 'silent' }), undefined, true, sink);
    expect(code).toBe(0);
    expect(out.join('')).toContain('retrying');
    await drain(p);
    const posts = http.requests.filter((r) => r.path === '/flaky');
    expect(posts).toHaveLength(4);
    expect(await p.ctx.queues.deliver.getFailedCount()).toBe(0);
    expect(await p.ctx.queues.deliver.getJobCountByTypes('waiting', 'active', 'delayed')).toBe(0);
  });
});
