import { describe, expect, it } from 'vitest';
import { cached } from '../src/bounded-cache.js';

describe('cached', () => {
  it('makes a value once per key, and empties a full cache before keeping a new one', () => {
    const cache = new Map<string, string>();
    const made: string[] = [];
    const get = (key: string) => cached(cache, key, 2, () => (made.push(key), key.toUpperCase()));
    expect([get('a'), get('a'), get('b')]).toEqual(['A', 'A', 'B']);
    expect(made).toEqual(['a', 'b']);
    expect(get('c')).toBe('C');
    expect([...cache.keys()]).toEqual(['c']);
    expect(get('a')).toBe('A');
    expect(made).toEqual(['a', 'b', 'c', 'a']);
  });
});
