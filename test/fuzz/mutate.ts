// Mutated inputs for the fuzz targets: a seed (a fixture) changed by a few random edits — a
// character or byte replaced, a run inserted, deleted or truncated, a stretch duplicated (an
// element twice), repeated (a huge element) or wrapped in itself (deep nesting), and tokens of the
// format (tags, YAML indicators) put anywhere. Positions are fractions of the length, so fast-check
// shrinks a failure to few, simple edits.

import fc from 'fast-check';

/** Inputs stay below this many characters, whatever the edits. */
const MAX_LENGTH = 2_000_000;

type Edit = (s: string) => string;

const at = (s: string, f: number) => Math.floor(f * s.length);
const frac = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

export interface MutateOptions {
  /** Byte-level input (a latin1 string, one char per byte): replaced characters are bytes. */
  bytes?: boolean;
  /** At most this many edits; default 4. */
  maxEdits?: number;
  /** Largest repeat count and nesting depth; default 5,000 and 20,000. Big inputs cost seconds a case. */
  maxRepeat?: number;
  maxDepth?: number;
}

function edits(tokens: fc.Arbitrary<string>, char: fc.Arbitrary<string>, maxRepeat: number, maxDepth: number): fc.Arbitrary<Edit> {
  return fc.oneof(
    fc.tuple(frac, char).map(([p, c]): Edit => (s) => s.slice(0, at(s, p)) + c + s.slice(at(s, p) + 1)),
    fc.tuple(frac, fc.oneof(tokens, fc.string({ maxLength: 8 }))).map(([p, t]): Edit => (s) => s.slice(0, at(s, p)) + t + s.slice(at(s, p))),
    fc.tuple(frac, fc.integer({ min: 1, max: 200 })).map(([p, n]): Edit => (s) => s.slice(0, at(s, p)) + s.slice(at(s, p) + n)),
    frac.map((p): Edit => (s) => s.slice(0, at(s, p))),
    // A stretch copied somewhere else: an element or a list entry twice.
    fc.tuple(frac, fc.integer({ min: 1, max: 2_000 }), frac).map(([p, n, q]): Edit => (s) => {
      const piece = s.slice(at(s, p), at(s, p) + n);
      return s.slice(0, at(s, q)) + piece + s.slice(at(s, q));
    }),
    // A stretch repeated in place: a huge element or a long list.
    fc.tuple(frac, fc.integer({ min: 1, max: 300 }), fc.integer({ min: 2, max: maxRepeat })).map(([p, n, times]): Edit => (s) => {
      const piece = s.slice(at(s, p), at(s, p) + n);
      return s.slice(0, at(s, p)) + piece.repeat(Math.min(times, Math.floor(MAX_LENGTH / 2 / Math.max(1, piece.length)))) + s.slice(at(s, p) + n);
    }),
    // An opening token many times before a point and its closing one after: deep nesting.
    fc.tuple(frac, fc.constantFrom<[string, string]>(['<div>', '</div>'], ['<item>', '</item>'], ['<b><i>', '</i></b>'], ['[', ']'], ['{', '}'], ['- ', '']), fc.integer({ min: 2, max: maxDepth })).map(
      ([p, [open, close], depth]): Edit =>
        (s) => s.slice(0, at(s, p)) + open.repeat(depth) + s.slice(at(s, p)) + close.repeat(depth),
    ),
  );
}

/** The seed with 1 to `maxEdits` random edits; `tokens` are pieces of the format worth inserting. */
export function mutated(seed: fc.Arbitrary<string>, tokens: fc.Arbitrary<string>, options: MutateOptions = {}): fc.Arbitrary<string> {
  // Byte-level inputs (latin1 strings, one char per byte) get bytes; text gets any character.
  const char = options.bytes ? fc.integer({ min: 0, max: 255 }).map((b) => String.fromCharCode(b)) : fc.string({ unit: 'binary', minLength: 1, maxLength: 1 });
  return fc.tuple(seed, fc.array(edits(tokens, char, options.maxRepeat ?? 5_000, options.maxDepth ?? 20_000), { minLength: 1, maxLength: options.maxEdits ?? 4 })).map(([s, list]) => {
    let out = s;
    for (const edit of list) out = edit(out).slice(0, MAX_LENGTH);
    return out;
  });
}

/** A string's UTF-8 bytes as a latin1 string (one char per byte), for byte-level edits. */
export const asBytes = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');
