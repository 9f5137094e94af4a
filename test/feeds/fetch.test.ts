// fetchUrl against a real HTTP server on 127.0.0.1: redirects, conditional GET, Retry-After,
// compression, size caps, hanging servers, the User-Agent, and the host gate.

import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBody } from '../../src/feeds/charset.js';
import { FetchError, fetchUrl, parseRetryAfter, type FetchOptions } from '../../src/feeds/fetch.js';
import { startHttpServer, type TestServer } from '../helpers/http.js';

const options: FetchOptions = { userAgent: 'Newswatch/test (+https://ops.example.org/bot)', timeoutMs: 2_000, maxBytes: 64 * 1024 };

async function failure(promise: Promise<unknown>): Promise<FetchError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof FetchError) return err;
    throw err;
  }
  throw new Error('expected a FetchError, got a result');
}

describe('fetchUrl', () => {
  let http: TestServer;
  const held: (() => void)[] = [];

  beforeAll(async () => {
    http = await startHttpServer();
    http.route('/feed.xml', (req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml', etag: '"v1"', 'last-modified': 'Tue, 24 Nov 2026 10:00:00 GMT' }).end('<rss/>');
    });
    http.route('/old', (_req, res) => void res.writeHead(301, { location: '/hop' }).end());
    http.route('/hop', (_req, res) => void res.writeHead(302, { location: `${http.url}/feed.xml` }).end());
    // Five redirects from /loop0 to /loop5.
    for (let i = 0; i < 5; i++) http.route(`/loop${i}`, (_req, res) => void res.writeHead(307, { location: `/loop${i + 1}` }).end());
    http.route('/loop5', (_req, res) => void res.writeHead(200).end('<rss/>'));
    http.route('/conditional', (req, res) => {
      if (req.headers['if-none-match'] === '"v1"') res.writeHead(304, { etag: '"v1"' }).end();
      else res.writeHead(200, { etag: '"v1"' }).end('<rss/>');
    });
    http.route('/limited', (_req, res) => void res.writeHead(429, { 'retry-after': '120' }).end('slow down'));
    http.route('/unavailable', (_req, res) => void res.writeHead(503, { 'retry-after': 'Wed, 21 Oct 2099 07:28:00 GMT' }).end());
    http.route('/gone', (_req, res) => void res.writeHead(410).end());
    http.route('/gzip', (_req, res) => void res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync('<rss>gzip</rss>')));
    http.route('/deflate', (_req, res) => void res.writeHead(200, { 'content-encoding': 'deflate' }).end(deflateSync('<rss>deflate</rss>')));
    http.route('/br', (_req, res) => void res.writeHead(200, { 'content-encoding': 'br' }).end(brotliCompressSync('<rss>br</rss>')));
    // Some servers send deflate without its zlib wrapper; browsers read it all the same.
    http.route('/raw-deflate', (_req, res) => void res.writeHead(200, { 'content-encoding': 'deflate' }).end(deflateRawSync('<rss>raw-deflate</rss>')));
    // Codings are listed in the order they were applied: gzip first, then br.
    http.route('/gzip-br', (_req, res) => void res.writeHead(200, { 'content-encoding': 'gzip, BR' }).end(brotliCompressSync(gzipSync('<rss>gzip-br</rss>'))));
    http.route('/unknown-coding', (_req, res) => void res.writeHead(200, { 'content-encoding': 'x-unknown' }).end('<rss>unknown-coding</rss>'));
    http.route('/truncated-gzip', (_req, res) => void res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync('<rss>truncated-gzip</rss>').subarray(0, -8)));
    http.route('/six-codings', (_req, res) => void res.writeHead(200, { 'content-encoding': 'gzip,gzip,gzip,gzip,gzip,gzip' }).end('x'));
    http.route('/bad-gzip', (_req, res) => void res.writeHead(200, { 'content-encoding': 'gzip' }).end('not gzip at all'));
    // 1 MB of zeros compresses to about 1 KB: only the decoded size can catch it.
    http.route('/bomb', (_req, res) => void res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(Buffer.alloc(1024 * 1024))));
    http.route('/big', (_req, res) => void res.writeHead(200, { 'content-type': 'text/xml' }).end('x'.repeat(100 * 1024)));
    http.route('/big-chunked', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/xml' });
      for (let i = 0; i < 100; i++) res.write('y'.repeat(1024));
      res.end();
    });
    // Headers at once, then the body never finishes.
    http.route('/trickle', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.write('<rss>');
      held.push(() => res.end());
    });
    // No answer at all.
    http.route('/hang', (_req, res) => {
      held.push(() => res.end());
    });
    http.route('/win1251', (_req, res) =>
      void res.writeHead(200, { 'content-type': 'application/rss+xml; charset=windows-1251' }).end(iconv.encode('<rss><title>Новини Києва</title></rss>', 'win1251')),
    );
  });

  afterAll(async () => {
    for (const release of held) release();
    await http?.close();
  });

  it('sends an identifying User-Agent and asks for compression', async () => {
    const res = await fetchUrl(`${http.url}/feed.xml`, options);
    expect(res.body.toString()).toBe('<rss/>');
    const req = http.requests.findLast((r) => r.path === '/feed.xml');
    expect(req?.headers['user-agent']).toBe('Newswatch/test (+https://ops.example.org/bot)');
    expect(req?.headers['accept-encoding']).toContain('gzip');
    expect(res).toMatchObject({ etag: '"v1"', lastModified: 'Tue, 24 Nov 2026 10:00:00 GMT', notModified: false });
  });

  it('follows relative and absolute redirects and reports a permanent move', async () => {
    const res = await fetchUrl(`${http.url}/old`, options);
    expect(res.url).toBe(`${http.url}/feed.xml`);
    expect(res.movedTo).toBe(`${http.url}/hop`);
    expect(res.body.toString()).toBe('<rss/>');
  });

  it('gives up after the redirect limit', async () => {
    expect(await fetchUrl(`${http.url}/loop0`, { ...options, maxRedirects: 5 }).then((r) => r.url)).toBe(`${http.url}/loop5`);
    const err = await failure(fetchUrl(`${http.url}/loop0`, { ...options, maxRedirects: 4 }));
    expect(err.errorClass).toBe('redirects');
    expect(err.message).toContain('more than 4 redirects');
  });

  it('sends validators and reports 304 Not Modified with an empty body', async () => {
    const res = await fetchUrl(`${http.url}/conditional`, { ...options, etag: '"v1"' });
    expect(res).toMatchObject({ status: 304, notModified: true });
    expect(res.body.length).toBe(0);
    expect(http.requests.findLast((r) => r.path === '/conditional')?.headers['if-none-match']).toBe('"v1"');
  });

  it('reads Retry-After on 429 (seconds) and 503 (HTTP date)', async () => {
    const limited = await failure(fetchUrl(`${http.url}/limited`, options));
    expect(limited).toMatchObject({ errorClass: 'http', status: 429, retryAfterSeconds: 120 });
    const unavailable = await failure(fetchUrl(`${http.url}/unavailable`, options));
    expect(unavailable.status).toBe(503);
    expect(unavailable.retryAfterSeconds).toBeGreaterThan(86_400);
    const gone = await failure(fetchUrl(`${http.url}/gone`, options));
    expect(gone).toMatchObject({ errorClass: 'http', status: 410, retryAfterSeconds: undefined });
  });

  it.each(['gzip', 'deflate', 'br', 'raw-deflate', 'gzip-br', 'truncated-gzip'])('decodes a %s body', async (encoding) => {
    const res = await fetchUrl(`${http.url}/${encoding}`, options);
    expect(res.body.toString()).toBe(`<rss>${encoding}</rss>`);
  });

  it('leaves a body with a coding it does not know as it was sent, and refuses more than five codings or a broken one', async () => {
    expect((await fetchUrl(`${http.url}/unknown-coding`, options)).body.toString()).toBe('<rss>unknown-coding</rss>');
    const many = await failure(fetchUrl(`${http.url}/six-codings`, options));
    expect([many.errorClass, many.message]).toEqual(['network', `${http.url}/six-codings: 6 content encodings; at most 5 are decoded`]);
    const bad = await failure(fetchUrl(`${http.url}/bad-gzip`, options));
    expect(bad.errorClass).toBe('network');
    expect(bad.message).toContain('could not be decoded');
  });

  it('applies the size cap after decompression', async () => {
    expect((await failure(fetchUrl(`${http.url}/bomb`, options))).errorClass).toBe('too-large');
  });

  it('refuses a body over the cap, declared or chunked', async () => {
    const declared = await failure(fetchUrl(`${http.url}/big`, options));
    expect(declared.errorClass).toBe('too-large');
    expect(declared.message).toContain('65536-byte limit');
    expect((await failure(fetchUrl(`${http.url}/big-chunked`, options))).errorClass).toBe('too-large');
    expect((await fetchUrl(`${http.url}/big`, { ...options, maxBytes: 200 * 1024 })).body.length).toBe(100 * 1024);
  });

  it('times out a server that never answers, and one that never finishes its body', async () => {
    const started = Date.now();
    const hang = await failure(fetchUrl(`${http.url}/hang`, { ...options, timeoutMs: 300 }));
    expect(hang.errorClass).toBe('timeout');
    const trickle = await failure(fetchUrl(`${http.url}/trickle`, { ...options, timeoutMs: 300 }));
    expect(trickle.errorClass).toBe('timeout');
    expect(trickle.message).toContain('/trickle');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('reports a refused connection as a network error naming the URL', async () => {
    const closed = await startHttpServer();
    const url = `${closed.url}/feed.xml`;
    await closed.close();
    const err = await failure(fetchUrl(url, options));
    expect(err.errorClass).toBe('network');
    expect(err.message).toContain(url);
  });

  it('refuses URLs that are not http(s)', async () => {
    expect((await failure(fetchUrl('file:///etc/passwd', options))).message).toContain('only http and https');
  });

  it('passes every hop through the host gate and releases it', async () => {
    const events: string[] = [];
    const gate = async (url: URL) => {
      events.push(`take ${url.pathname}`);
      return async () => {
        events.push(`give ${url.pathname}`);
      };
    };
    await fetchUrl(`${http.url}/old`, { ...options, gate });
    expect(events).toEqual(['take /old', 'give /old', 'take /hop', 'give /hop', 'take /feed.xml', 'give /feed.xml']);
  });

  it('delivers bytes that decode with the charset of the Content-Type', async () => {
    const res = await fetchUrl(`${http.url}/win1251`, options);
    expect(decodeBody(res.body, res.headers.get('content-type'))).toBe('<rss><title>Новини Києва</title></rss>');
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-24T10:00:00Z');
  it.each([
    ['120', 120],
    [' 5 ', 5],
    ['Tue, 24 Nov 2026 10:01:00 GMT', 60],
    ['Tue, 24 Nov 2026 09:00:00 GMT', 0],
    ['soon', undefined],
    [null, undefined],
  ])('reads %j as %j seconds', (value, seconds) => expect(parseRetryAfter(value, now)).toBe(seconds));
});
