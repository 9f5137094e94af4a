// One HTTP module for feeds and article pages. Rules: a connect timeout and a total timeout (the
// time spent waiting for a turn at a busy host does not count), a size cap on the decoded body
// (gzip, deflate and br are decoded, so a small compressed bomb is stopped too), at most
// `maxRedirects` redirects, an identifying User-Agent, conditional GET when the caller has
// validators; given an address policy, every connection (redirect hops included) is checked
// against it at connect time (address-guard.ts). Failures are FetchErrors with a class that
// health tables and logs show.

import { Agent, fetch, type Response } from 'undici';
import { ADDRESS_REFUSED, guardedAgent, type AddressPolicy } from './address-guard.js';
import { basicAuth, redactCredentials } from '../config/credentials.js';

export type FetchErrorClass =
  | 'timeout'
  | 'dns'
  | 'tls'
  | 'http'
  | 'too-large'
  | 'network'
  | 'redirects'
  | 'not-a-feed'
  | 'busy'
  /** Parsing the page or feed went over its time or memory budget (src/sandbox). */
  | 'over-budget'
  /** The URL or a redirect led to a private, loopback or link-local address (address-guard.ts). */
  | 'blocked-address'
  /** An article page that is not HTML or XHTML (an image, a PDF, a download). */
  | 'not-html';

export class FetchError extends Error {
  constructor(
    readonly errorClass: FetchErrorClass,
    message: string,
    readonly status?: number,
    /** Seconds the server asked us to wait (Retry-After on 429/503). */
    readonly retryAfterSeconds?: number,
  ) {
    // Messages start with the URL, which may carry a feed's password.
    super(redactCredentials(message));
    this.name = 'FetchError';
  }
}

/**
 * Waits for a turn to request this URL's host (per-host politeness) and returns the function
 * that hands the turn back; given `pauseMs` (a Retry-After), it first pauses the host, so no
 * other request slips in between the answer and the pause. Throws a FetchError of class "busy"
 * when the wait is too long.
 */
export type HostGate = (url: URL) => Promise<(pauseMs?: number) => Promise<void>>;

export interface FetchOptions {
  userAgent: string;
  /** Whole request, redirects and body included. */
  timeoutMs: number;
  /** TCP and TLS connection; default 10 s. */
  connectTimeoutMs?: number;
  /** Largest body accepted, counted after decompression. */
  maxBytes: number;
  maxRedirects?: number;
  etag?: string;
  lastModified?: string;
  accept?: string;
  gate?: HostGate;
  /** Refuse connections to private addresses except what this policy allows (links strangers wrote). */
  guard?: AddressPolicy;
}

export interface FetchResult {
  /** URL after redirects. */
  url: string;
  status: number;
  notModified: boolean;
  headers: { get(name: string): string | null };
  body: Buffer;
  etag?: string;
  lastModified?: string;
  /** Set when the first hop was a permanent redirect (301/308): where the resource now lives. */
  movedTo?: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const agents = new Map<number, Agent>();

/** One connection pool per connect timeout, so sockets are reused across requests. */
function agentFor(connectTimeoutMs: number): Agent {
  let agent = agents.get(connectTimeoutMs);
  if (!agent) {
    agent = new Agent({ connect: { timeout: connectTimeoutMs }, headersTimeout: 0, bodyTimeout: 0 });
    agents.set(connectTimeoutMs, agent);
  }
  return agent;
}

export async function fetchUrl(url: string, options: FetchOptions): Promise<FetchResult> {
  const maxRedirects = options.maxRedirects ?? 5;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const dispatcher = options.guard ? guardedAgent(options.guard, connectTimeoutMs) : agentFor(connectTimeoutMs);
  let current = url;
  let movedTo: string | undefined;
  let spentMs = 0;
  for (let hop = 0; ; hop++) {
    const target = parseUrl(current, url);
    const release = options.gate ? await options.gate(target) : undefined;
    const started = Date.now();
    const signal = AbortSignal.timeout(Math.max(1, options.timeoutMs - spentMs));
    let pauseMs: number | undefined;
    try {
      const response = await send(target, options, dispatcher, signal);
      const location = response.headers.get('location');
      if (REDIRECTS.has(response.status) && location) {
        await response.body?.cancel().catch(() => undefined);
        if (hop >= maxRedirects) {
          throw new FetchError('redirects', `${url}: more than ${maxRedirects} redirects (last to ${location}); use the final URL`);
        }
        const next = new URL(location, current).toString();
        if (hop === 0 && (response.status === 301 || response.status === 308)) movedTo = next;
        current = next;
        continue;
      }
      return await answer(response, current, options, signal, movedTo);
    } catch (err) {
      if (err instanceof FetchError && err.retryAfterSeconds) pauseMs = err.retryAfterSeconds * 1000;
      throw err;
    } finally {
      spentMs += Date.now() - started;
      await release?.(pauseMs);
    }
  }
}

function parseUrl(current: string, original: string): URL {
  let target: URL;
  try {
    target = new URL(current);
  } catch {
    throw new FetchError('network', `${original}: "${current}" is not a valid URL`);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new FetchError('network', `${original}: only http and https are fetched, not ${target.protocol}`);
  }
  return target;
}

async function send(target: URL, options: FetchOptions, dispatcher: Agent, signal: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = {
    'user-agent': options.userAgent,
    accept: options.accept ?? '*/*',
    'accept-encoding': 'gzip, deflate, br',
  };
  if (options.etag) headers['if-none-match'] = options.etag;
  if (options.lastModified) headers['if-modified-since'] = options.lastModified;
  // user:password@ in a feed's URL is Basic auth; a redirect to another host drops it (new URL()).
  const { url, authorization } = basicAuth(target);
  if (authorization) headers.authorization = authorization;
  try {
    return await fetch(url, { headers, redirect: 'manual', signal, dispatcher });
  } catch (err) {
    throw classify(signal.aborted ? signal.reason : err, target.toString(), options);
  }
}

async function answer(
  response: Response,
  url: string,
  options: FetchOptions,
  signal: AbortSignal,
  movedTo: string | undefined,
): Promise<FetchResult> {
  const result = {
    url,
    status: response.status,
    headers: response.headers,
    etag: response.headers.get('etag') ?? undefined,
    lastModified: response.headers.get('last-modified') ?? undefined,
    movedTo,
  };
  if (isNotModified(response)) {
    await response.body?.cancel().catch(() => undefined);
    return { ...result, notModified: true, body: Buffer.alloc(0) };
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    const retryAfter = isRateLimited(response) ? parseRetryAfter(response.headers.get('retry-after')) : undefined;
    const wait = retryAfter === undefined ? '' : `; the server asks to wait ${retryAfter} s`;
    throw new FetchError('http', `${url}: HTTP ${response.status} ${response.statusText}${wait}`.trim(), response.status, retryAfter);
  }
  const body = await readCapped(response, options, url, signal);
  return { ...result, notModified: false, body };
}

export const isNotModified = (response: { status: number }): boolean => response.status === 304;

/** 429 Too Many Requests and 503 Service Unavailable are the answers that carry Retry-After. */
export const isRateLimited = (response: { status: number }): boolean => response.status === 429 || response.status === 503;

/** Retry-After as seconds from now: either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

async function readCapped(response: Response, options: FetchOptions, url: string, signal: AbortSignal): Promise<Buffer> {
  const { maxBytes } = options;
  const declared = Number(response.headers.get('content-length'));
  // content-length counts the bytes on the wire; with an encoding the decoded size is checked below.
  if (declared > maxBytes && !response.headers.get('content-encoding')) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(url, maxBytes, declared);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    if (response.body) {
      for await (const chunk of response.body) {
        size += chunk.byteLength;
        if (size > maxBytes) throw tooLarge(url, maxBytes);
        chunks.push(Buffer.from(chunk));
      }
    }
  } catch (err) {
    await response.body?.cancel().catch(() => undefined);
    throw classify(signal.aborted ? signal.reason : err, url, options);
  }
  return Buffer.concat(chunks);
}

function tooLarge(url: string, maxBytes: number, declared?: number): FetchError {
  const what = declared === undefined ? 'body (decoded)' : `body of ${declared} bytes`;
  return new FetchError('too-large', `${url}: ${what} exceeds the ${maxBytes}-byte limit; raise fetch.feedMaxSize/pageMaxSize in settings.yaml if it is genuine`);
}

function classify(err: unknown, url: string, options: FetchOptions): FetchError {
  if (err instanceof FetchError) return err;
  const e = err as { name?: string; message?: string; code?: string; cause?: { code?: string; message?: string; name?: string } };
  const code = e.cause?.code ?? e.code ?? '';
  const detail = e.cause?.message ?? e.message ?? String(err);
  if (code === ADDRESS_REFUSED) return new FetchError('blocked-address', `${url}: ${detail}`);
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || e.cause?.name === 'ConnectTimeoutError')
    return new FetchError('timeout', `${url}: could not connect within ${options.connectTimeoutMs ?? 10_000} ms`);
  if (e.name === 'TimeoutError' || e.name === 'AbortError')
    return new FetchError('timeout', `${url}: no complete answer within ${options.timeoutMs} ms`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new FetchError('dns', `${url}: host not found (${code}); check the URL`);
  if (/CERT|SSL|TLS/i.test(code) || /certificate|tls/i.test(detail))
    return new FetchError('tls', `${url}: TLS failure: ${detail}`);
  if (/decompress|incorrect header check|invalid (block|distance|code)|unexpected end of file/i.test(detail))
    return new FetchError('network', `${url}: the compressed body could not be decoded: ${detail}`);
  return new FetchError('network', `${url}: ${detail}${code ? ` (${code})` : ''}`);
}
