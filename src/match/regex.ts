// The regular expressions users write in queries (`/cease-?fire/`), run by RE2 (re2js): matching
// takes time linear in the text, whatever the pattern, so no rule can freeze a worker (ReDoS).
// Rules: the syntax is RE2's, which is JavaScript's for everything but backtracking features;
// those (lookaround, backreferences) and JavaScript spellings RE2 reads differently are refused
// with their position and a fix. `\uXXXX`, `\u{…}` and `\cX` are rewritten to RE2's `\x{…}`, and
// `\s` / `\S` to JavaScript's Unicode white space, so patterns written for JavaScript keep their
// meaning. Matching is case-insensitive (Unicode simple case folding, as JavaScript's `iu`
// flags), reads at most REGEX_TEXT_LIMIT characters of each field, and a pattern may compile to
// at most REGEX_MAX_PROGRAM instructions (the cost of each character read grows with it).
import { RE2JS, RE2JSSyntaxException } from 're2js';

/** Characters of each field a regex reads: a bound on its time per article (see the header). */
export const REGEX_TEXT_LIMIT = 100_000;

/** Largest RE2 program accepted; `\w{1000}` is about 1,000, everyday patterns under 100. */
export const REGEX_MAX_PROGRAM = 2_000;

/** JavaScript's \s: WhiteSpace and LineTerminator (ECMA-262), for use inside a class. */
const JS_SPACE = '\\x{9}-\\x{d}\\x{20}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}\\x{feff}';
/** Its complement, also usable inside a class (RE2 has no class subtraction). */
const JS_NOT_SPACE = '\\x{0}-\\x{8}\\x{e}-\\x{1f}\\x{21}-\\x{9f}\\x{a1}-\\x{167f}\\x{1681}-\\x{1fff}\\x{200b}-\\x{2027}\\x{202a}-\\x{202e}\\x{2030}-\\x{205e}\\x{2060}-\\x{2fff}\\x{3001}-\\x{fefe}\\x{ff00}-\\x{10ffff}';

/**
 * A pattern RE2 cannot take: where in the pattern (0-based; undefined when the fault is the
 * pattern as a whole, e.g. a group never closed), how long, why, and the fix.
 */
export class RegexSyntaxError extends Error {
  override name = 'RegexSyntaxError';
  constructor(
    message: string,
    readonly offset: number | undefined,
    readonly length: number,
    readonly hint: string,
  ) {
    super(message);
  }
}

/** A user's pattern rewritten for RE2, and for each of its characters the source [from, to). */
interface Translation {
  pattern: string;
  from: number[];
  to: number[];
}

const isHex = (s: string) => /^[0-9a-fA-F]+$/.test(s);

/**
 * Rewrites the JavaScript spellings RE2 lacks and refuses the features it does not have. Only
 * escapes and group openings are looked at; RE2's own parser checks everything else.
 */
function translate(source: string): Translation {
  let pattern = '';
  const from: number[] = [];
  const to: number[] = [];
  /** Appends source[at, end) as `text`: character by character when unchanged. */
  const emit = (text: string, at: number, end = at + text.length) => {
    const same = text.length === end - at;
    for (let k = 0; k < text.length; k++) {
      from.push(same ? at + k : at);
      to.push(same ? at + k + 1 : end);
    }
    pattern += text;
  };
  let inClass = false;
  for (let i = 0; i < source.length; ) {
    const ch = source[i]!;
    if (ch === '\\') {
      const next = source[i + 1] ?? '';
      if (next === 'u') {
        const braced = /^\{([0-9a-fA-F]{1,6})\}/.exec(source.slice(i + 2));
        if (braced) {
          emit(`\\x{${braced[1]}}`, i, i + 2 + braced[0].length);
          i += 2 + braced[0].length;
          continue;
        }
        const hex = source.slice(i + 2, i + 6);
        if (hex.length !== 4 || !isHex(hex)) throw new RegexSyntaxError('\\u needs four hexadecimal digits or {…}', i, 2, 'write \\u00e9 or \\x{e9} for a code point');
        let code = parseInt(hex, 16);
        let length = 6;
        // A surrogate pair written as two escapes is one code point, as in JavaScript's u mode.
        const low = /^\\u(d[c-f][0-9a-f]{2})/i.exec(source.slice(i + 6));
        if (code >= 0xd800 && code <= 0xdbff && low) {
          code = 0x10000 + ((code - 0xd800) << 10) + (parseInt(low[1]!, 16) - 0xdc00);
          length = 12;
        }
        emit(`\\x{${code.toString(16)}}`, i, i + length);
        i += length;
        continue;
      }
      if (next === 'c') {
        const letter = source[i + 2] ?? '';
        if (!/^[A-Za-z]$/.test(letter)) throw new RegexSyntaxError('\\c needs a letter (a control character)', i, 2, 'write \\x{1} to \\x{1a} for control characters');
        emit(`\\x{${(letter.charCodeAt(0) % 32).toString(16)}}`, i, i + 3);
        i += 3;
        continue;
      }
      if (next === 's' || next === 'S') {
        const set = next === 's' ? JS_SPACE : JS_NOT_SPACE;
        emit(inClass ? set : `[${set}]`, i, i + 2);
        i += 2;
        continue;
      }
      if (!inClass && /[1-9]/.test(next)) {
        throw new RegexSyntaxError(`backreferences (\\${next}) are not supported`, i, 2, 'repeat the text itself, e.g. /(ab)ab/ instead of /(ab)\\1/; regular expressions here run in linear time, which rules out backreferences');
      }
      if (!inClass && next === 'k' && source[i + 2] === '<') {
        const close = source.indexOf('>', i);
        throw new RegexSyntaxError('named backreferences (\\k<name>) are not supported', i, close === -1 ? 2 : close + 1 - i, 'repeat the text itself; regular expressions here run in linear time, which rules out backreferences');
      }
      // Any other escape is one character in both syntaxes (RE2 judges whether it is valid).
      const cp = source.codePointAt(i + 1);
      const width = cp === undefined ? 1 : cp > 0xffff ? 3 : 2;
      emit(source.slice(i, i + width), i);
      i += width;
      continue;
    }
    if (inClass) {
      if (ch === '[' && source[i + 1] === ':') {
        // An RE2 POSIX class ([:alpha:]) inside a class: copied whole, its "]" does not end ours.
        const end = source.indexOf(':]', i + 2);
        if (end !== -1) {
          emit(source.slice(i, end + 2), i);
          i = end + 2;
          continue;
        }
      }
      if (ch === ']') inClass = false;
      emit(ch, i);
      i++;
      continue;
    }
    if (ch === '[') {
      const negated = source[i + 1] === '^';
      const first = i + (negated ? 2 : 1);
      if (source[first] === ']') {
        // JavaScript reads "[]" as a class that matches nothing and "[^]" as any character; RE2
        // reads that "]" as a literal one. Refused rather than silently changing meaning.
        throw new RegexSyntaxError(negated ? '"[^]" (any character) is not supported' : '"[]" (a class of nothing) is not supported', i, first + 1 - i, negated ? 'write [\\s\\S] or (?s:.) for any character' : 'write \\] for a literal "]" inside a class');
      }
      inClass = true;
      emit(source.slice(i, first), i);
      i = first;
      continue;
    }
    if (ch === '(' && source[i + 1] === '?') {
      const look = /^\(\?(<?[=!])/.exec(source.slice(i));
      if (look) {
        const behind = look[1]!.startsWith('<');
        throw new RegexSyntaxError(`${behind ? 'lookbehind' : 'lookahead'} (${look[0]}…) is not supported`, i, look[0].length, 'match the text itself, or combine two expressions in the query: /cease/ -/ceasefire/ instead of /cease(?!fire)/');
      }
      if (source.startsWith('(?P=', i)) {
        const close = source.indexOf(')', i);
        throw new RegexSyntaxError('named backreferences ((?P=name)) are not supported', i, close === -1 ? 4 : close + 1 - i, 'repeat the text itself; regular expressions here run in linear time, which rules out backreferences');
      }
    }
    const cp = source.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    emit(source.slice(i, i + width), i);
    i += width;
  }
  return { pattern, from, to };
}

/** What to do about each of RE2's parse errors. */
const HINTS: Record<string, string> = {
  'invalid repeat count': 'a repetition count can be at most 1000, also when repetitions are nested: (a{100}){100} counts 10,000',
  'invalid character class range': 'a range runs from the lower character to the higher ([a-z]); Unicode classes take a category or a script: \\p{L}, \\p{Lu}, \\p{Cyrillic} (long names such as \\p{Letter} or \\p{Script=Greek} are not supported)',
  'invalid escape sequence': 'write the character itself, \\x{…} for a code point, or \\\\ for a backslash; see the list of supported escapes in docs/query-language.md',
  'invalid nested repetition operator': 'possessive quantifiers (a++) and repeated quantifiers (a{2}{3}) are not supported; group instead: (?:a{2}){3}',
  'missing closing )': 'add ")" where the group ends, or write \\( for a parenthesis',
  'unexpected )': 'remove it, or write \\) for a parenthesis',
  'missing closing ]': 'add "]" where the class ends, or write \\[ for a bracket',
  'missing argument to repetition operator': 'put what is repeated before *, + or ?, or write \\* \\+ \\? for the character itself',
  'invalid or unsupported Perl syntax': 'groups are (…), (?:…), (?<name>…) and the flag groups (?i) (?m) (?s) (?U); lookaround, atomic groups and comments are not supported',
  'invalid named capture': 'name a group with letters, digits and "_": (?<year>…)',
  'duplicate capture group name': 'give each named group its own name',
  'trailing backslash at end of expression': 'write \\\\ for a backslash',
  'expression too large': 'use smaller repetition counts or a shorter pattern',
  'expression nests too deeply': 'use fewer nested groups',
};

function syntaxError(e: RE2JSSyntaxException, t: Translation, source: string): RegexSyntaxError {
  const description = e.getDescription();
  const fragment = e.getPattern();
  // RE2JS puts "(?i)" in front of the pattern for the flag; errors about the whole pattern
  // quote it with that prefix.
  const at = fragment ? `(?i)${t.pattern}`.indexOf(fragment, 4) - 4 : -1;
  let offset: number | undefined;
  let length = source.length;
  if (at >= 0 && fragment) {
    offset = t.from[at]!;
    length = Math.max(1, t.to[Math.min(t.to.length - 1, at + fragment.length - 1)]! - offset);
  }
  const quoted = offset !== undefined && fragment && fragment.length < 40 ? `: ${fragment}` : '';
  return new RegexSyntaxError(`invalid regular expression: ${description}${quoted}`, offset, length, HINTS[description] ?? 'check the pattern against docs/query-language.md');
}

/** A compiled user pattern. Stateless: one instance serves any number of articles at once. */
export class UserRegex {
  private constructor(private readonly re: RE2JS) {}

  /** Compiles a pattern as written between the slashes; throws RegexSyntaxError. */
  static compile(source: string): UserRegex {
    const t = translate(source);
    let re: RE2JS;
    try {
      re = RE2JS.compile(t.pattern, RE2JS.CASE_INSENSITIVE);
    } catch (e) {
      if (e instanceof RE2JSSyntaxException) throw syntaxError(e, t, source);
      throw e;
    }
    const size = re.programSize();
    if (size > REGEX_MAX_PROGRAM) {
      throw new RegexSyntaxError(`regular expression too large: it compiles to ${size} steps, at most ${REGEX_MAX_PROGRAM} are allowed`, 0, source.length, 'use smaller repetition counts ({n}) or split it into several expressions joined with AND / OR');
    }
    return new UserRegex(re);
  }

  /** Whether the pattern occurs in the text (its first REGEX_TEXT_LIMIT characters). */
  test(text: string): boolean {
    return this.re.test(bounded(text));
  }

  /** [start, end) of up to `max` non-empty matches, in UTF-16 offsets, left to right. */
  matches(text: string, max: number): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    if (max <= 0) return out;
    for (const m of this.re.matchAll(bounded(text))) {
      if (m[0].length === 0) continue;
      out.push([m.index!, m.index! + m[0].length]);
      if (out.length >= max) break;
    }
    return out;
  }
}

/** The text cut to REGEX_TEXT_LIMIT characters, never inside a surrogate pair. */
function bounded(text: string): string {
  if (text.length <= REGEX_TEXT_LIMIT) return text;
  const code = text.charCodeAt(REGEX_TEXT_LIMIT - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? REGEX_TEXT_LIMIT - 1 : REGEX_TEXT_LIMIT);
}
