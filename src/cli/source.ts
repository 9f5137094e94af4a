// Reads what a command was pointed at, a file path or an http(s) URL, as decoded text. A file
// that cannot be read is a CliError of one line saying why and what to do.

import { readFile } from 'node:fs/promises';
import { readErrorLine } from '../config/errors.js';
import { decodeBody } from '../feeds/charset.js';
import { fetchUrl } from '../feeds/fetch.js';
import { defaultSettings } from '../queue/context.js';
import { CliError } from './common.js';

export async function readSource(target: string, maxBytes: number): Promise<{ text: string; url?: string }> {
  if (/^https?:\/\//i.test(target)) {
    const settings = defaultSettings();
    const res = await fetchUrl(target, { userAgent: settings.userAgent, timeoutMs: settings.feedTimeoutMs, maxBytes });
    return { text: decodeBody(res.body, res.headers.get('content-type')), url: res.url };
  }
  return { text: decodeBody(await readInputFile(target)) };
}

/** The bytes of a file named on the command line. */
export async function readInputFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new CliError(readErrorLine(path, err));
  }
}
