// Reads what a command was pointed at, a file path or an http(s) URL, as decoded text.

import { readFile } from 'node:fs/promises';
import { decodeBody } from '../feeds/charset.js';
import { fetchUrl } from '../feeds/fetch.js';
import { defaultSettings } from '../queue/context.js';

export async function readSource(target: string, maxBytes: number): Promise<{ text: string; url?: string }> {
  if (/^https?:\/\//i.test(target)) {
    const settings = defaultSettings();
    const res = await fetchUrl(target, { userAgent: settings.userAgent, timeoutMs: settings.feedTimeoutMs, maxBytes });
    return { text: decodeBody(res.body, res.headers.get('content-type')), url: res.url };
  }
  return { text: decodeBody(await readFile(target)) };
}
