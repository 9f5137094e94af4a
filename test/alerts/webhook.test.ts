// postWebhook against a real HTTP server on 127.0.0.1: what a receiver gets (a signed JSON POST,
// Basic auth from the URL, kept-open connections) and how each failure reads (HTTP status, no
// redirect followed, timeout, refused connection), with the URL's password never in a message.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWebhook, signer, WebhookError } from '../../src/alerts/webhook.js';
import { startHttpServer, type TestServer } from '../helpers/http.js';

const SECRET = `whsec_${Buffer.from('test-secret-of-32-bytes-length!!').toString('base64')}`;
const options = { userAgent: 'newswatch-test', timeoutMs: 10_000 };

let http: TestServer;

beforeAll(async () => {
  http = await startHttpServer();
  http.route('/hook', (_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'));
  http.route('/moved', (_req, res) => void res.writeHead(301, { location: `${http.url}/hook` }).end());
  http.route('/busy', (_req, res) => void res.writeHead(503).end('x'.repeat(200_000)));
  http.route('/slow', (_req, res) => void setTimeout(() => res.writeHead(200).end(), 5_000));
});

afterAll(() => http.close());

const failure = (p: Promise<unknown>) => p.then(() => expect.unreachable('the webhook should have failed'), (err: unknown) => err as WebhookError);

describe('postWebhook', () => {
  it('posts the payload as JSON with a Standard Webhooks signature the receiver can verify', async () => {
    const now = new Date();
    expect(await postWebhook({ url: `${http.url}/hook`, secret: SECRET }, 'msg-1', { type: 'alert', n: 1 }, { ...options, now })).toBe(200);
    const req = http.requests.find((r) => r.headers['webhook-id'] === 'msg-1')!;
    expect(req.method).toBe('POST');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['user-agent']).toBe('newswatch-test');
    expect(JSON.parse(req.body)).toEqual({ type: 'alert', n: 1 });
    const headers = { 'webhook-id': 'msg-1', 'webhook-timestamp': String(req.headers['webhook-timestamp']), 'webhook-signature': String(req.headers['webhook-signature']) };
    expect(new Webhook(SECRET).verify(req.body, headers)).toEqual({ type: 'alert', n: 1 });
  });

  it('signs as the standardwebhooks library does for a raw secret of any characters, and refuses a whsec_ secret that is not base64', () => {
    const now = new Date();
    const secret = 'pläin sécret 😀';
    const headers = { 'webhook-id': 'msg-raw', 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': signer(secret).sign('msg-raw', now, '{"a":"é"}') };
    expect(new Webhook(secret, { format: 'raw' }).verify('{"a":"é"}', headers)).toEqual({ a: 'é' });
    expect(() => signer('whsec_not base64!')).toThrow(/not base64/);
  });

  it("sends the URL's user and password as Basic auth, and keeps the password out of error messages", async () => {
    const url = new URL(http.url);
    await postWebhook({ url: `http://hook:s3cret@${url.host}/hook` }, 'msg-auth', {}, options);
    const req = http.requests.find((r) => r.headers['webhook-id'] === 'msg-auth')!;
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from('hook:s3cret').toString('base64')}`);
    const err = await failure(postWebhook({ url: `http://hook:s3cret@${url.host}/busy` }, 'msg-auth-2', {}, options));
    expect(err.message).not.toContain('s3cret');
  });

  it('fails with the status of a non-2xx answer, whatever the size of its body', async () => {
    const err = await failure(postWebhook({ url: `${http.url}/busy` }, 'msg-busy', {}, options));
    expect(err).toBeInstanceOf(WebhookError);
    expect(err.status).toBe(503);
    expect(err.message).toBe(`${http.url}/busy: HTTP 503`);
  });

  it('does not follow a redirect: the 3xx is the answer', async () => {
    const before = http.requests.filter((r) => r.path === '/hook').length;
    const err = await failure(postWebhook({ url: `${http.url}/moved` }, 'msg-moved', {}, options));
    expect(err).toBeInstanceOf(WebhookError);
    expect(err.message).toContain(`${http.url}/moved`);
    expect(http.requests.filter((r) => r.path === '/hook')).toHaveLength(before);
  });

  it('gives up on a receiver slower than timeoutMs and says it timed out', async () => {
    const err = await failure(postWebhook({ url: `${http.url}/slow` }, 'msg-slow', {}, { ...options, timeoutMs: 200 }));
    expect(err.message).toBe(`${http.url}/slow: timed out`);
    expect(err.status).toBeUndefined();
  });

  it('names the socket error when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const err = await failure(postWebhook({ url: `http://127.0.0.1:${port}/hook` }, 'msg-refused', {}, options));
    expect(err.message).toBe(`http://127.0.0.1:${port}/hook: ECONNREFUSED`);
  });

  it('reuses kept-open connections: 20 webhooks in a row open at most two', async () => {
    let connections = 0;
    const server: Server = createServer((req, res) => {
      req.resume().on('end', () => res.end('ok'));
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    try {
      // The next request may leave before the last one's socket is back in the pool: a second one.
      for (let i = 0; i < 20; i++) await postWebhook({ url }, `msg-keep-${i}`, { i }, options);
      expect(connections).toBeLessThanOrEqual(2);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
