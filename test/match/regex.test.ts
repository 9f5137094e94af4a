// User regular expressions (issue 13 item 1): they run in linear time (RE2), JavaScript features
// RE2 lacks are refused with the position and a fix, JavaScript spellings keep their meaning, and
// a regex reads a bounded part of each field.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintQuery } from '../../src/match/index.js';
import { REGEX_TEXT_LIMIT } from '../../src/match/regex.js';
import { spawnCli } from '../helpers/cli.js';
import { hitTexts, matches, syntaxError } from './helpers.js';

/** The offending text of a query's syntax error. */
const flagged = (query: string) => {
  const e = syntaxError(query);
  return query.slice(e.offset, e.offset + (e.length ?? 1));
};

describe('regular expressions run in linear time', () => {
  it('newswatch match answers at once for /(a+)+$/ on 5,000 "a"s and a "b" (catastrophic backtracking in JavaScript)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'newswatch-redos-'));
    const rules = join(dir, 'rules.yaml');
    await writeFile(rules, 'rules:\n  - id: redos\n    query: "/(a+)+$/"\n  - id: ends-in-b\n    query: "/a+b$/"\n');
    const input = [{ id: 'evil', content: `${'a'.repeat(5000)}b` }, { id: 'plain', content: 'aaa' }].map((a) => JSON.stringify(a)).join('\n');
    const { child, done } = spawnCli(['match', '--rules', rules], {}, `${input}\n`);
    // With a backtracking engine the process never answers; kill it rather than wait forever.
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const run = await done;
    clearTimeout(timer);
    expect(run.signal, 'newswatch match was killed after 20 s without answering').toBeNull();
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      { article: 'evil', rule: 'ends-in-b' },
      { article: 'plain', rule: 'redos' },
    ]);
  }, 120_000);
});

describe('JavaScript features RE2 does not have', () => {
  it('refuses lookahead and lookbehind, pointing at the group', () => {
    const e = syntaxError('ukraine /cease(?!fire)/');
    expect(e.message).toBe('lookahead ((?!…) is not supported');
    expect(flagged('ukraine /cease(?!fire)/')).toBe('(?!');
    expect(e.hint).toMatch(/\/cease\/ -\/ceasefire\//);
    expect(syntaxError('/(?<=kyiv )talks/').message).toMatch(/^lookbehind/);
    expect(flagged('/(?<!x)y/')).toBe('(?<!');
    expect(flagged('/a(?=b)/')).toBe('(?=');
  });
  it('refuses backreferences, numbered and named', () => {
    expect(syntaxError('/(ab)\\1/').message).toBe('backreferences (\\1) are not supported');
    expect(flagged('/(ab)\\1/')).toBe('\\1');
    expect(syntaxError('/(ab)\\1/').hint).toMatch(/repeat the text itself/);
    expect(flagged('/(?<x>a)\\k<x>/')).toBe('\\k<x>');
    expect(flagged('/(?P<x>a)(?P=x)/')).toBe('(?P=x)');
  });
  it('refuses "[]" and "[^]", which RE2 would read differently, with the spelling to use', () => {
    expect(flagged('/a[^]b/')).toBe('[^]');
    expect(syntaxError('/a[^]b/').hint).toMatch(/\[\\s\\S\]/);
    expect(flagged('/a[]b/')).toBe('[]');
  });
  it('explains RE2 parse errors at the offending characters', () => {
    expect(syntaxError('/a{2000}/').message).toBe('invalid regular expression: invalid repeat count: {2000}');
    expect(flagged('/a{2000}/')).toBe('{2000}');
    expect(syntaxError('/(a{100}){100}/').hint).toMatch(/at most 1000/);
    expect(flagged('/x\\p{Letter}/')).toBe('\\p{Letter}');
    expect(syntaxError('/x\\p{Letter}/').hint).toMatch(/\\p\{L\}/);
    expect(flagged('/ab++/')).toBe('++');
    expect(syntaxError('/ab++/').hint).toMatch(/possessive/);
    expect(flagged('/a(?x)b/')).toBe('(?x');
    expect(flagged('/a\\Zb/')).toBe('\\Z');
  });
  it('points at the whole expression when a group is never closed', () => {
    const e = syntaxError('ukraine /(cease/');
    expect([e.offset, e.length]).toEqual([8, 8]);
    expect(e.hint).toMatch(/add "\)"/);
  });
  it('refuses an expression whose program is too large to run cheaply', () => {
    const q = `/${'(?:\\w+\\s){999}'.repeat(3)}x/`;
    expect(syntaxError(q).message).toMatch(/too large: it compiles to \d+ steps, at most 2000/);
  });
});

describe('JavaScript spellings keep their meaning', () => {
  it('\\u, \\u{…}, surrogate pairs and \\c are read as the characters they name', () => {
    expect(matches('/caf\\u00e9/', 'un café')).toBe(true);
    expect(matches('/\\u{1F600}!/', 'so 😀!')).toBe(true);
    expect(matches('/\\uD83D\\uDE00!/', 'so 😀!')).toBe(true);
    expect(matches('/a\\cJb/', 'a\nb')).toBe(true);
    expect(syntaxError('/\\u12/').hint).toMatch(/\\u00e9/);
  });
  it('\\s is Unicode white space as in JavaScript, also inside a class', () => {
    expect(matches('/peace\\stalks/', 'peace\u00a0talks')).toBe(true);
    expect(matches('/peace[\\s-]talks/', 'peace\u2028talks')).toBe(true);
    expect(matches('/peace\\Stalks/', 'peace\u00a0talks')).toBe(false);
    expect(matches('/peace[^\\S]talks/', 'peace\u3000talks')).toBe(true);
    expect(matches('/peace[\\S]talks/', 'peace-talks')).toBe(true);
  });
  it('ignore case with Unicode case folding (the Kelvin sign is a k, the long s an s)', () => {
    expect(matches('/kyiv/', '\u212ayiv')).toBe(true);
    expect(matches('/ſtate/', 'STATE')).toBe(true);
    expect(matches('/ÉTATS/', 'états')).toBe(true);
  });
  it('report hits in UTF-16 offsets of the original text', () => {
    expect(hitTexts('/b+/', '😀😀bb a')).toEqual(['content:bb']);
  });
  it('accept named groups and RE2 flag groups', () => {
    expect(matches('/(?<who>rubio|lavrov) said/', 'Lavrov said')).toBe(true);
    expect(matches('/(?-i)NATO/', 'nato')).toBe(false);
    expect(matches('/(?-i)NATO/', 'NATO')).toBe(true);
  });
});

describe('bounds', () => {
  it(`reads at most ${REGEX_TEXT_LIMIT} characters of a field; words are matched in the whole text`, () => {
    const content = `${'lorem '.repeat(REGEX_TEXT_LIMIT / 6)}needle`;
    expect(matches('/needle/', content)).toBe(false);
    expect(matches('needle', content)).toBe(true);
    expect(matches('/needle/', `needle ${content}`)).toBe(true);
  });
  it('lint uses the same engine: an expression that matches the empty text warns', () => {
    expect(lintQuery('/x*/').join()).toMatch(/matches the empty text/);
    expect(lintQuery('/(?:ab|)/').join()).toMatch(/matches the empty text/);
    expect(lintQuery('/ab/')).toEqual([]);
  });
});
