// What a user regex (regex.ts, RE2 syntax) requires of a text, for the rule index: a set of
// lower-case ASCII literals, at least 3 characters each, such that every match contains one of
// them. `cease-?fire` gives {cease}, `(rubio|lavrov)s?` gives {rubio, lavrov}, `ukraine|kyiv`
// gives {ukraine, kyiv}. Conservative: anything it does not understand gives no literal (the rule
// is then checked on every article), never a literal some match lacks.

const MIN_LENGTH = 3;
/** More alternatives than this select too many articles to be worth indexing. */
const MAX_ALTERNATIVES = 8;

/** Escapes whose reach or meaning is not a single known character: give up on the pattern. */
const OPAQUE_ESCAPES = /[uxcpPkQE]/;

type Literals = string[] | undefined;

/** The better of two literal sets: longer shortest member, then fewer members. */
function better(a: Literals, b: Literals): Literals {
  if (!a) return b;
  if (!b) return a;
  const minA = Math.min(...a.map((s) => s.length));
  const minB = Math.min(...b.map((s) => s.length));
  if (minA !== minB) return minA > minB ? a : b;
  return b.length < a.length ? b : a;
}

class Analyzer {
  private i = 0;
  constructor(private readonly s: string) {}

  /** Alternatives up to ")" or the end: each must give literals, and their union is the set. */
  alternation(): Literals {
    const alternatives: Literals[] = [this.sequence()];
    while (this.s[this.i] === '|') {
      this.i++;
      alternatives.push(this.sequence());
    }
    const union = new Set<string>();
    for (const a of alternatives) {
      if (!a) return undefined;
      for (const lit of a) union.add(lit);
    }
    return union.size <= MAX_ALTERNATIVES ? [...union] : undefined;
  }

  /** A concatenation: the best literal set among its required runs and groups. */
  private sequence(): Literals {
    const s = this.s;
    let best: Literals;
    let run = '';
    const endRun = () => {
      if (run.length >= MIN_LENGTH) best = better(best, [run]);
      run = '';
    };
    while (this.i < s.length && s[this.i] !== '|' && s[this.i] !== ')') {
      const ch = s[this.i]!;
      if (ch === '(') {
        endRun();
        const inner = this.group();
        if (inner === null) throw new GiveUp();
        if (!this.optional()) best = better(best, inner);
        continue;
      }
      if (ch === '\\') {
        const next = s[this.i + 1] ?? '';
        if (OPAQUE_ESCAPES.test(next)) throw new GiveUp();
        this.i += 2;
        if (/[0-7]/.test(next)) while (/[0-7]/.test(s[this.i] ?? '')) this.i++; // octal \012
        endRun();
        this.optional();
        continue;
      }
      if (ch === '[') {
        this.skipClass();
        endRun();
        this.optional();
        continue;
      }
      this.i++;
      if (/[A-Za-z0-9]/.test(ch)) {
        const at = this.i;
        const optional = this.optional();
        if (optional) {
          endRun();
        } else {
          run += ch.toLowerCase();
          if (this.i !== at) endRun(); // a+ or a{2}: required once, but the run cannot go on
        }
      } else {
        endRun();
        this.optional();
      }
    }
    endRun();
    return best;
  }

  /**
   * A group from its "(" to after its ")": the literals of its alternatives, undefined when
   * they have none, or null when the group cannot be read.
   */
  private group(): Literals | null {
    const s = this.s;
    this.i++;
    if (s[this.i] === '?') {
      // (?:…) (?i:…) (?<name>…) (?P<name>…) and flag groups (?i) (?-s).
      const head = /^\?(?:P?<[A-Za-z0-9_]+>|[imsU-]*:|[imsU-]*\))/.exec(s.slice(this.i));
      if (!head) return null;
      this.i += head[0].length;
      if (head[0].endsWith(')')) return undefined;
    }
    const inner = this.alternation();
    if (s[this.i] !== ')') return null;
    this.i++;
    return inner;
  }

  /** Skips a bracket class as RE2 reads it: a "]" first is literal, [:alpha:] is one unit. */
  private skipClass(): void {
    const s = this.s;
    let j = this.i + 1;
    if (s[j] === '^') j++;
    if (s[j] === ']') j++;
    while (j < s.length && s[j] !== ']') {
      if (s[j] === '\\') j += 2;
      else if (s.startsWith('[:', j) && s.indexOf(':]', j + 2) !== -1) j = s.indexOf(':]', j + 2) + 2;
      else j++;
    }
    if (j >= s.length) throw new GiveUp();
    this.i = j + 1;
  }

  /** Skips a quantifier after an atom; true when it allows zero repetitions. */
  private optional(): boolean {
    const s = this.s;
    const ch = s[this.i];
    let zero: boolean;
    if (ch === '?' || ch === '*') {
      zero = true;
      this.i++;
    } else if (ch === '+') {
      zero = false;
      this.i++;
    } else {
      const m = ch === '{' ? /^\{(\d+)(,\d*)?\}/.exec(s.slice(this.i)) : null;
      if (!m) return false;
      zero = /^0+$/.test(m[1]!);
      this.i += m[0].length;
    }
    if (s[this.i] === '?') this.i++; // lazy
    return zero;
  }

  get done(): boolean {
    return this.i >= this.s.length;
  }
}

class GiveUp extends Error {}

/** Literals one of which every match of the pattern contains, or undefined. */
export function regexLiterals(source: string): string[] | undefined {
  // \Q…\E quotes parentheses and bars: rather than track it, give up.
  if (source.includes('\\Q')) return undefined;
  try {
    const a = new Analyzer(source);
    const literals = a.alternation();
    return a.done ? literals : undefined;
  } catch (e) {
    if (e instanceof GiveUp) return undefined;
    throw e;
  }
}
