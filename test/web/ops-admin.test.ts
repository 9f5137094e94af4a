// The queue dashboard (bull-board) at /admin/queues: off without ADMIN_TOKEN, 401 without the
// token, served with it (Bearer, or Basic with the token as password), and showing our queues.

import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerQueueDashboard } from '../../src/web/ops-admin.js';
import type { Pipeline } from '../../workers/index.js';
import { testPipeline, writeConfig } from '../helpers/pipeline.js';

const TOKEN = 'admin-token-for-tests';

describe('queue dashboard', () => {
  let pipeline: Pipeline;
  beforeAll(async () => {
    pipeline = await testPipeline(await writeConfig({ feeds: 'feeds: []\n', rules: 'rules: []\n', subscriptions: 'subscriptions: []\n' }));
  });
  afterAll(async () => {
    await pipeline.close();
  });

  const app = async (adminToken?: string) => {
    const a = Fastify();
    await registerQueueDashboard(a, { queues: pipeline.ctx.queues, adminToken });
    await a.ready();
    return a;
  };

  it('is off without ADMIN_TOKEN and says how to turn it on', async () => {
    const res = await (await app()).inject('/admin/queues');
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toContain('set ADMIN_TOKEN');
  });

  it('asks for the token: 401 with a Basic challenge, also for a wrong token', async () => {
    const a = await app(TOKEN);
    const none = await a.inject('/admin/queues');
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toContain('Basic realm="Newswatch admin"');
    expect((await a.inject({ url: '/admin/queues/api/queues', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401);
    const basicWrong = `Basic ${Buffer.from('admin:wrong').toString('base64')}`;
    expect((await a.inject({ url: '/admin/queues', headers: { authorization: basicWrong } })).statusCode).toBe(401);
  });

  it('serves the dashboard and its API with the token, listing the four queues', async () => {
    const a = await app(TOKEN);
    const basic = `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`;
    const page = await a.inject({ url: '/admin/queues', headers: { authorization: basic } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    const api = await a.inject({ url: '/admin/queues/api/queues', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(api.statusCode).toBe(200);
    const names = (api.json() as { queues: { name: string }[] }).queues.map((q) => q.name).sort();
    expect(names).toEqual(['article', 'deliver', 'digest', 'poll'].map((q) => pipeline.ctx.keys.queue(q as 'poll')).sort());
  });
});
