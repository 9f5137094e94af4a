// cheerio's parser for feed HTML that html-text.ts cannot read on its own, loaded the first time
// something needs it: cheerio, with parse5 and the undici its entry imports, was about 0.2 s of
// the 0.5 s of CPU and 10 of the 24 MB of heap a parsing thread's start cost, and a thread that
// only reads feeds of simple HTML never needs it. Code that may parse feed HTML (normalise.ts)
// runs through withDom, which loads cheerio and runs it again when it asked before that, or
// after loadDom. (A top-level await would load it for main threads, but a module graph with one
// cannot be require()d, as the parsing threads load their module from source under tsx.)

import type { CheerioAPI, load as cheerioLoad } from 'cheerio';

let load: typeof cheerioLoad | undefined;

/** Thrown where cheerio is needed before it is loaded (see withDom). */
export class DomNotLoaded extends Error {
  constructor() {
    super('cheerio is not loaded yet: run the code that parses HTML through withDom, or after loadDom');
  }
}

/** Loads cheerio, once. */
export async function loadDom(): Promise<void> {
  load ??= (await import('cheerio')).load;
}

/** An HTML fragment parsed as a document body's content (cheerio's `load(html, null, false)`). */
export function parseHtmlFragment(html: string): CheerioAPI {
  if (load === undefined) throw new DomNotLoaded();
  return load(html, null, false);
}

/**
 * `run()`, and again once cheerio is loaded (by `loader`, which calls loadDom) if it needed it
 * first: for pure work (parsing a feed's items), which gives the same result the second time.
 */
export async function withDom<T>(run: () => T, loader: () => Promise<void> = loadDom): Promise<T> {
  try {
    return run();
  } catch (err) {
    if (!(err instanceof DomNotLoaded)) throw err;
    await loader();
    return run();
  }
}
