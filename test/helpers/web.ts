// The web server with the reader's pages on a test pipeline, and a browser-like session for
// forms: the CSRF cookie kept between requests, the token read from the page.

import type { FastifyInstance } from 'fastify';
import { createWebServer, listen } from '../../src/web/server.js';
import type { Pipeline } from '../../workers/index.js';

export interface TestWeb {
  url: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

export async function startWeb(pipeline: Pipeline): Promise<TestWeb> {
  const settings = { ...pipeline.ctx.settings, http: { ...pipeline.ctx.settings.http, port: 0 } };
  const app = createWebServer({ settings, log: pipeline.ctx.log, ctx: pipeline.ctx });
  const url = await listen(app, settings);
  return { url, app, close: () => app.close() };
}

/** A client that keeps cookies like a browser and reads CSRF tokens from pages. */
export class Session {
  private cookies = new Map<string, string>();
  csrf = '';

  constructor(readonly base: string) {}

  async get(path: string): Promise<{ status: number; html: string; headers: Headers }> {
    const res = await fetch(new URL(path, this.base), { headers: this.headers(), redirect: 'manual' });
    return this.read(res);
  }

  /** POSTs a form (the session's CSRF token added unless `_csrf` is given). */
  async post(path: string, fields: Record<string, string>, options: { csrf?: boolean } = {}): Promise<{ status: number; html: string; headers: Headers }> {
    const body = new URLSearchParams(options.csrf === false ? fields : { _csrf: this.csrf, ...fields });
    const res = await fetch(new URL(path, this.base), {
      method: 'POST',
      headers: { ...this.headers(), 'content-type': 'application/x-www-form-urlencoded' },
      body: body.toString(),
      redirect: 'manual',
    });
    return this.read(res);
  }

  private headers(): Record<string, string> {
    return this.cookies.size > 0 ? { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {};
  }

  private async read(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
    const html = await res.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(html);
    if (token) this.csrf = token[1]!;
    return { status: res.status, html, headers: res.headers };
  }
}
