// The error of fetching or reading a feed or page, with a class that health tables and logs
// show. A module of its own, without the HTTP client: the parsing threads (src/sandbox) throw it
// too, and undici cost a thread about 0.1 s of CPU and 6 MB of heap as it started.

import { redactCredentials } from '../config/credentials.js';

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
