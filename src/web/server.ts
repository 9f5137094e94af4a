// The HTTP server of `newswatch start` (the `web` role): Fastify on HTTP_HOST:HTTP_PORT. Its
// rules: every body is capped (settings.yaml web.bodyLimit) and every request timed out, so no
// client can hold the process; requests are logged at debug by route pattern, never by raw URL
// (links carry tokens); errors answer with a short message, never a stack. Route modules are
// registered here and stay thin: the work is in src/alerts/ and src/match/.

import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Settings, WorkerContext } from '../queue/context.js';
import { registerApi } from './api.js';
import { registerFeeds } from './feeds.js';
import { registerPages } from './pages.js';

export interface WebOptions {
  settings: Settings;
  log: Logger;
  /** The pipeline's context (Redis, directory, mailer, queues); the API and the pages need it. */
  ctx?: WorkerContext;
}

/** Longest a client may take to send its request, headers and body included. */
const REQUEST_TIMEOUT_MS = 30_000;

/** Per-request log lines at debug, naming the route pattern instead of the URL. */
class DebugRequestLog extends LogController {
  override incomingRequest(): void {}
  override routeNotFound(request: FastifyRequest): void {
    request.log.debug({ method: request.method }, 'no route');
  }
  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { method: request.method, route: request.routeOptions.url ?? '(none)', status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    if (error) reply.log.error({ ...line, err: error.message }, 'request failed');
    else reply.log.debug(line, 'request');
  }
}

export function createWebServer(options: WebOptions): FastifyInstance {
  const { settings } = options;
  const app = Fastify({
    loggerInstance: options.log.child({ role: 'web' }) as FastifyBaseLogger,
    logController: new DebugRequestLog(),
    bodyLimit: settings.http.bodyLimitBytes,
    requestTimeout: REQUEST_TIMEOUT_MS,
    connectionTimeout: REQUEST_TIMEOUT_MS,
    // Keep-alive sockets would hold close() open until they time out.
    forceCloseConnections: true,
    return503OnClosing: true,
    // Unknown fields are refused with their name, not dropped without a word.
    ajv: { customOptions: { removeAdditional: false } },
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) request.log.error({ err: err.message, stack: err.stack }, 'request failed');
    const message = status === 413 ? `The request body is larger than the ${settings.http.bodyLimitBytes} bytes this server accepts.` : status >= 500 ? 'Something went wrong on our side; please try again later.' : err.message;
    return reply.status(status).type('application/json').send({ error: message });
  });
  app.setNotFoundHandler((_request, reply) => reply.status(404).type('application/json').send({ error: 'There is nothing at this address.' }));
  if (options.ctx) {
    const ctx = options.ctx;
    registerApi(app, ctx);
    registerFeeds(app, ctx);
    // The pages in a scope of their own: their form parsing, CSRF and HTML errors stay theirs.
    void app.register((pages) => registerPages(pages, ctx));
  }
  return app;
}

/** Starts listening; returns the address actually bound (HTTP_PORT 0 picks a free port). */
export async function listen(app: FastifyInstance, settings: Settings): Promise<string> {
  return app.listen({ host: settings.http.host, port: settings.http.port });
}
