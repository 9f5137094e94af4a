// One idiom for the process-wide caches of things a worker makes again and again (stems, query
// words, encoded addresses, links): a Map that is emptied when full, so what strangers can vary
// (words, addresses) never grows it past its bound; the only cost of emptying is remaking.

/** `cache`'s value for `key`, made by `make` and kept when missing; a cache holding `max` entries is emptied first. */
export function cached<V>(cache: Map<string, V>, key: string, max: number, make: () => V): V {
  let value = cache.get(key);
  if (value === undefined) {
    if (cache.size >= max) cache.clear();
    value = make();
    cache.set(key, value);
  }
  return value;
}
