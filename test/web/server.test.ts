// The web server's frame: bound where the settings say, bodies capped at web.bodyLimit with a
// clear 413, unknown paths a JSON 404, and a clean close.

import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultSettings } from '../../src/queue/context.js';
import { settingsFileSchema } from '../../src/config/settings-schema.js';
import { createWebServer, listen } from '../../src/web/server.js';

const silent = pino({ level: 'silent' });
let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function serve(settingsYaml: object = {}) {
  const settings = defaultSettings({ HTTP_PORT: '0' }, settingsFileSchema.parse(settingsYaml));
  const app = createWebServer({ settings, log: silent });
  // Route modules attach to the app the same way.
  app.post('/echo', async (request) => ({ size: JSON.stringify(request.body).length }));
  const url = await listen(app, settings);
  close = () => app.close();
  return url;
}

describe('web server', () => {
  it('listens on 127.0.0.1 by default and answers unknown paths with a JSON 404', async () => {
    const url = await serve();
    expect(new URL(url).hostname).toBe('127.0.0.1');
    const res = await fetch(`${url}/nothing/here`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'There is nothing at this address.' });
  });

  it('refuses a body larger than web.bodyLimit with 413 and says the limit', async () => {
    const url = await serve({ web: { bodyLimit: '1KB' } });
    const small = await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: 'x'.repeat(500) }) });
    expect(small.status).toBe(200);
    const big = await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: 'x'.repeat(2000) }) });
    expect(big.status).toBe(413);
    expect((await big.json()).error).toBe('The request body is larger than the 1024 bytes this server accepts.');
  });

  it('stops accepting connections once closed', async () => {
    const url = await serve();
    await close?.();
    close = undefined;
    await expect(fetch(`${url}/`)).rejects.toThrow();
  });
});

describe('HTTP settings from the environment', () => {
  it('defaults to 127.0.0.1:8080 and PUBLIC_URL http://localhost:8080', () => {
    const s = defaultSettings({});
    expect(s.http).toMatchObject({ host: '127.0.0.1', port: 8080, bodyLimitBytes: 64 * 1024 });
    expect(s.publicUrl).toBe('http://localhost:8080');
  });

  it('follows HTTP_HOST, HTTP_PORT and PUBLIC_URL (one trailing slash dropped)', () => {
    const s = defaultSettings({ HTTP_HOST: '0.0.0.0', HTTP_PORT: '9090', PUBLIC_URL: 'https://news.example.org/nw/' });
    expect(s.http).toMatchObject({ host: '0.0.0.0', port: 9090 });
    expect(s.publicUrl).toBe('https://news.example.org/nw');
    expect(defaultSettings({ HTTP_PORT: '9090' }).publicUrl).toBe('http://localhost:9090');
  });

  it('names the variable and the fix for a bad HTTP_PORT or PUBLIC_URL', () => {
    expect(() => defaultSettings({ HTTP_PORT: 'eighty' })).toThrow('HTTP_PORT must be a port number from 1 to 65535 (got "eighty")');
    expect(() => defaultSettings({ PUBLIC_URL: 'news.example.org' })).toThrow(/PUBLIC_URL must be an absolute http\(s\) URL/);
    expect(() => defaultSettings({ PUBLIC_URL: 'ftp://news.example.org' })).toThrow('PUBLIC_URL must start with http:// or https://');
  });
});
