// One HTTP module for feeds and article pages. Its rules: a total timeout, a size cap applied
// to the decoded body, at most 5 redirects, an identifying User-Agent, conditional GET when the
// caller has validators. Failures are FetchErrors with a class (timeout, dns, tls, http,
// too-large, network) that health tables and logs show.

export type FetchErrorClass = 'timeout' | 'dns' | 'tls' | 'http' | 'too-large' | 'network' | 'redirects' | 'not-a-feed';

export class FetchError extends Error {
  constructor(
    readonly errorClass: FetchErrorClass,
    message: string,
    readonly status?: number,
    /** Seconds the server asked us to wait (Retry-After on 429/503). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'FetchError';
  }
}

export interface FetchOptions {
  userAgent: string;
  timeoutMs: number;
  maxBytes: number;
  maxRedirects?: number;
  etag?: string;
  lastModified?: string;
  accept?: string;
}

export interface FetchResult {
  /** URL after redirects. */
  url: string;
  status: number;
  notModified: boolean;
  headers: Headers;
  body: Buffer;
  etag?: string;
  lastModified?: string;
}

export async function fetchUrl(url: string, options: FetchOptions): Promise<FetchResult> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  const maxRedirects = options.maxRedirects ?? 5;
  let current = url;
  for (let hop = 0; ; hop++) {
    const headers: Record<string, string> = {
      'user-agent': options.userAgent,
      accept: options.accept ?? '*/*',
      'accept-encoding': 'gzip, deflate, br',
    };
    if (options.etag) headers['if-none-match'] = options.etag;
    if (options.lastModified) headers['if-modified-since'] = options.lastModified;

    let response: Response;
    try {
      response = await fetch(current, { headers, redirect: 'manual', signal });
    } catch (err) {
      throw classify(err, current);
    }

    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && response.status !== 304 && location) {
      await response.body?.cancel();
      if (hop >= maxRedirects) throw new FetchError('redirects', `${url}: more than ${maxRedirects} redirects`);
      current = new URL(location, current).toString();
      continue;
    }

    const result = {
      url: current,
      status: response.status,
      headers: response.headers,
      etag: response.headers.get('etag') ?? undefined,
      lastModified: response.headers.get('last-modified') ?? undefined,
    };
    if (response.status === 304) {
      await response.body?.cancel();
      return { ...result, notModified: true, body: Buffer.alloc(0) };
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new FetchError(
        'http',
        `${current}: HTTP ${response.status} ${response.statusText}`.trim(),
        response.status,
        parseRetryAfter(response.headers.get('retry-after')),
      );
    }
    const body = await readCapped(response, options.maxBytes, current, signal);
    return { ...result, notModified: false, body };
  }
}

/** Retry-After as seconds from now: either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

async function readCapped(response: Response, maxBytes: number, url: string, signal: AbortSignal): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length'));
  // content-length counts compressed bytes; the cap is on what we decode, checked below too.
  if (declared > maxBytes && !response.headers.get('content-encoding')) {
    await response.body?.cancel();
    throw new FetchError('too-large', `${url}: body of ${declared} bytes exceeds the ${maxBytes}-byte limit`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    const reader = response.body?.getReader();
    for (;;) {
      if (!reader) break;
      const { done, value: chunk } = await reader.read();
      if (done) break;
      size += chunk.byteLength;
      if (size > maxBytes) {
        throw new FetchError('too-large', `${url}: body exceeds the ${maxBytes}-byte limit`);
      }
      chunks.push(Buffer.from(chunk));
    }
  } catch (err) {
    await response.body?.cancel().catch(() => undefined);
    if (err instanceof FetchError) throw err;
    throw classify(signal.aborted ? signal.reason : err, url);
  }
  return Buffer.concat(chunks);
}

function classify(err: unknown, url: string): FetchError {
  if (err instanceof FetchError) return err;
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.cause?.code ?? '';
  const detail = e.cause?.message ?? e.message ?? String(err);
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || code === 'UND_ERR_CONNECT_TIMEOUT')
    return new FetchError('timeout', `${url}: no complete answer in time`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new FetchError('dns', `${url}: host not found (${code})`);
  if (/CERT|SSL|TLS/i.test(code) || /certificate|tls/i.test(detail))
    return new FetchError('tls', `${url}: TLS failure: ${detail}`);
  return new FetchError('network', `${url}: ${detail}${code ? ` (${code})` : ''}`);
}
