// Query parser: lexer and recursive descent over the watch-rule language (docs/query-language.md).
// Precedence, tightest first: NOT / -x, NEAR/n, AND (also implicit), OR. Operators are upper
// case only. Every error is a QuerySyntaxError with the offset, length and a hint.
import { closest } from 'fastest-levenshtein';
import {
  META_FIELDS,
  TEXT_FIELDS,
  isPositional,
  type FieldName,
  type MetaField,
  type QueryNode,
  type TextField,
  type Unit,
} from './ast.js';
import { QuerySyntaxError } from './errors.js';
import { fold, normalizeWord } from './normalize.js';
import { RegexSyntaxError, UserRegex } from './regex.js';
import { segmentWords } from './segment.js';

type TokenType = 'term' | 'phrase' | 'regex' | 'lparen' | 'rparen' | 'and' | 'or' | 'not' | 'minus' | 'near' | 'field' | 'eof';

interface Token {
  type: TokenType;
  start: number;
  end: number;
  /** term: the raw text; phrase: inside the quotes; regex: the pattern; field: the name. */
  value: string;
  distance?: number;
}

const FIELD_NAMES: readonly FieldName[] = [...TEXT_FIELDS, ...META_FIELDS];
const OPEN_QUOTES = '"“”„';
const CLOSE_QUOTES = '"“”';
const HYPHENS = '-\u2010\u2011';

function isSpace(ch: string): boolean {
  return /\s/.test(ch);
}

function isDelimiter(ch: string): boolean {
  return isSpace(ch) || ch === '(' || ch === ')' || OPEN_QUOTES.includes(ch);
}

function lex(q: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = q.length;
  // Whether a "-" here starts a negation (at the start of a token, not inside a word).
  const push = (t: Token) => tokens.push(t);
  while (i < n) {
    const ch = q[i]!;
    if (isSpace(ch)) {
      i++;
      continue;
    }
    if (ch === '(') {
      push({ type: 'lparen', start: i, end: i + 1, value: ch });
      i++;
      continue;
    }
    if (ch === ')') {
      push({ type: 'rparen', start: i, end: i + 1, value: ch });
      i++;
      continue;
    }
    if (OPEN_QUOTES.includes(ch)) {
      let j = i + 1;
      while (j < n && !CLOSE_QUOTES.includes(q[j]!)) j++;
      if (j >= n) {
        throw new QuerySyntaxError('unterminated phrase: the quote is never closed', i, n - i, 'add the closing " after the last word of the phrase');
      }
      push({ type: 'phrase', start: i, end: j + 1, value: q.slice(i + 1, j) });
      i = j + 1;
      continue;
    }
    if (ch === '/') {
      let j = i + 1;
      while (j < n && q[j] !== '/') j += q[j] === '\\' ? 2 : 1;
      if (j >= n) {
        throw new QuerySyntaxError('unterminated regular expression: the closing / is missing', i, n - i, 'end the pattern with / (write \\/ for a slash inside it)');
      }
      push({ type: 'regex', start: i, end: j + 1, value: q.slice(i + 1, j) });
      i = j + 1;
      continue;
    }
    if (ch === '-' && i + 1 < n && !isSpace(q[i + 1]!) && q[i + 1] !== ')') {
      push({ type: 'minus', start: i, end: i + 1, value: ch });
      i++;
      continue;
    }
    let j = i;
    while (j < n && !isDelimiter(q[j]!)) j++;
    const word = q.slice(i, j);
    const field = /^([A-Za-z]+):/.exec(word);
    if (field) {
      const name = field[1]!.toLowerCase();
      const valueAt = i + field[0].length;
      const hasValue = valueAt < n && !isSpace(q[valueAt]!) && q[valueAt] !== ')';
      if ((FIELD_NAMES as readonly string[]).includes(name)) {
        if (!hasValue) {
          throw new QuerySyntaxError(`nothing to search for after ${name}:`, i, field[0].length, `write the value right after the colon, e.g. ${name}:${name === 'site' ? 'bbc.co.uk' : name === 'lang' ? 'en' : 'ukraine'}`);
        }
        push({ type: 'field', start: i, end: valueAt, value: name });
        i = valueAt;
        if ((META_FIELDS as readonly string[]).includes(name) && q[i] !== '(' && !OPEN_QUOTES.includes(q[i]!)) {
          // A metadata value is taken literally up to a space or ")": url:/live/ is a path.
          let k = i;
          while (k < n && !isSpace(q[k]!) && q[k] !== ')') k++;
          push({ type: 'term', start: i, end: k, value: q.slice(i, k) });
          i = k;
        }
        continue;
      }
      if (hasValue) {
        const guess = closest(name, FIELD_NAMES as string[]);
        throw new QuerySyntaxError(`unknown field "${name}:"`, i, field[1]!.length, `fields are ${FIELD_NAMES.map((f) => f + ':').join(' ')}${guess ? `; did you mean ${guess}:?` : ''} To search for the text itself, quote it: "${word}"`);
      }
    }
    if (word === 'AND' || word === 'OR' || word === 'NOT') {
      push({ type: word.toLowerCase() as TokenType, start: i, end: j, value: word });
    } else if (/^NEAR(\/|$)/.test(word)) {
      const m = /^NEAR\/(\d+)$/.exec(word);
      if (!m) {
        throw new QuerySyntaxError(`${word === 'NEAR' ? 'NEAR' : 'NEAR/'} needs a distance in words`, i, j - i, 'write NEAR/10 for "at most 10 words between", or "near" in lower case to search for the word');
      }
      push({ type: 'near', start: i, end: j, value: word, distance: Number(m[1]) });
    } else {
      push({ type: 'term', start: i, end: j, value: word });
    }
    i = j;
  }
  tokens.push({ type: 'eof', start: n, end: n, value: '' });
  return tokens;
}

/** Splits text into units: words, with hyphen-joined words grouped ("cease-fire"). */
function units(text: string): Unit[] {
  const out: Unit[] = [];
  let prevEnd = -2;
  let group: string[] | undefined;
  const flush = () => {
    if (group) out.push(group.length > 1 ? { parts: group, joined: group.join('') } : { parts: group });
    group = undefined;
  };
  segmentWords(text, (s, e) => {
    const norm = normalizeWord(text.slice(s, e));
    if (group && s === prevEnd + 1 && HYPHENS.includes(text[prevEnd]!)) {
      group.push(norm);
    } else {
      flush();
      group = [norm];
    }
    prevEnd = e;
  });
  flush();
  return out;
}

const STARTS_PRIMARY: ReadonlySet<TokenType> = new Set(['term', 'phrase', 'regex', 'lparen', 'not', 'minus', 'field']);

/**
 * Levels of parentheses, negations, fields and chained NEARs one query may nest. Everything that
 * reads a query tree recurses into it, so a deeper one (a stranger's thousands of "(") would
 * overflow the stack instead of being refused.
 */
export const MAX_NESTING = 100;

class Parser {
  private pos = 0;
  private readonly tokens: Token[];
  /** Metadata field whose values are being parsed (site:(a OR b)), if any. */
  private meta: MetaField | undefined;
  private textField: TextField | undefined;
  /** Levels open at the current token (see MAX_NESTING). */
  private depth = 0;

  constructor(private readonly q: string) {
    this.tokens = lex(q);
  }

  private peek(): Token {
    return this.tokens[this.pos]!;
  }
  private next(): Token {
    return this.tokens[this.pos++]!;
  }

  private tooDeep(t: Token): never {
    throw new QuerySyntaxError(`the query nests too deeply: more than ${MAX_NESTING} levels of parentheses, NOT, fields or chained NEAR`, t.start, t.end - t.start, 'write it flatter, e.g. a OR b OR c instead of (a OR (b OR c)), or split it into all:/any: lists');
  }

  /** Parses `inner` one level deeper than the token `t` that opens the level. */
  private nested<T>(t: Token, inner: () => T): T {
    if (++this.depth > MAX_NESTING) this.tooDeep(t);
    try {
      return inner();
    } finally {
      this.depth--;
    }
  }

  parse(): QueryNode {
    if (this.peek().type === 'eof') {
      throw new QuerySyntaxError('empty query', 0, this.q.length, 'write at least one word, e.g. ukraine ceasefire');
    }
    const node = this.parseOr();
    const t = this.peek();
    if (t.type === 'rparen') {
      throw new QuerySyntaxError('unbalanced parenthesis: this ")" has no matching "("', t.start, 1, 'remove it, or add "(" where the group starts');
    }
    if (t.type !== 'eof') this.unexpected(t);
    return node;
  }

  private unexpected(t: Token): never {
    if (t.type === 'eof') {
      const prev = this.tokens[this.pos - 2];
      if (prev && (prev.type === 'and' || prev.type === 'or' || prev.type === 'near' || prev.type === 'not' || prev.type === 'minus')) {
        throw new QuerySyntaxError(`${prev.value} needs a term after it`, prev.start, prev.end - prev.start, `write e.g. ${prev.type === 'not' || prev.type === 'minus' ? prev.value + (prev.type === 'not' ? ' ' : '') + 'election' : 'ukraine ' + prev.value + ' ceasefire'}`);
      }
      throw new QuerySyntaxError('the query ends too early', t.start, 0, 'finish the expression after the last operator');
    }
    if (t.type === 'and' || t.type === 'or' || t.type === 'near') {
      throw new QuerySyntaxError(`${t.value} needs a term on both sides`, t.start, t.end - t.start, `write e.g. ukraine ${t.value} ceasefire; for the word itself write it in lower case`);
    }
    if (t.type === 'rparen') {
      throw new QuerySyntaxError('empty parentheses or a missing term before ")"', t.start, 1, 'put a term inside the parentheses');
    }
    throw new QuerySyntaxError(`unexpected ${JSON.stringify(t.value)}`, t.start, t.end - t.start);
  }

  private parseOr(): QueryNode {
    const first = this.parseAnd();
    const children = [first];
    while (this.peek().type === 'or') {
      this.next();
      children.push(this.parseAnd());
    }
    return children.length === 1 ? first : { type: 'or', children, start: first.start, end: children[children.length - 1]!.end };
  }

  private parseAnd(): QueryNode {
    const first = this.parseNear();
    const children = [first];
    for (;;) {
      const t = this.peek();
      if (t.type === 'and') {
        this.next();
        children.push(this.parseNear());
      } else if (STARTS_PRIMARY.has(t.type)) {
        children.push(this.parseNear());
      } else break;
    }
    return children.length === 1 ? first : { type: 'and', children, start: first.start, end: children[children.length - 1]!.end };
  }

  private parseNear(): QueryNode {
    let left = this.parseUnary();
    let links = 0;
    while (this.peek().type === 'near') {
      const op = this.next();
      // Each link nests the chain so far one level deeper in the tree.
      if (this.depth + ++links > MAX_NESTING) this.tooDeep(op);
      if (this.meta) {
        throw new QuerySyntaxError(`NEAR cannot be used inside ${this.meta}:`, op.start, op.end - op.start, 'NEAR works on words of title, summary and content');
      }
      const right = this.parseUnary();
      for (const side of [left, right]) {
        if (!isPositional(side)) {
          throw new QuerySyntaxError('a NEAR operand must be a word, phrase, prefix or a parenthesised OR of them', side.start, side.end - side.start, 'move NOT, AND, regular expressions and metadata filters outside the NEAR, e.g. (a NEAR/5 b) -c');
        }
      }
      left = { type: 'near', distance: op.distance!, children: [left, right], start: left.start, end: right.end };
    }
    return left;
  }

  private parseUnary(): QueryNode {
    const t = this.peek();
    if (t.type === 'not' || t.type === 'minus') {
      this.next();
      const child = this.nested(t, () => this.parseUnary());
      return { type: 'not', child, start: t.start, end: child.end };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): QueryNode {
    const t = this.next();
    switch (t.type) {
      case 'lparen': {
        if (this.peek().type === 'rparen') {
          throw new QuerySyntaxError('empty parentheses', t.start, this.peek().end - t.start, 'put a term inside, or remove them');
        }
        const inner = this.nested(t, () => this.parseOr());
        const close = this.next();
        if (close.type !== 'rparen') {
          if (close.type === 'eof') {
            throw new QuerySyntaxError('unbalanced parenthesis: this "(" is never closed', t.start, 1, 'add ")" where the group ends');
          }
          this.unexpected(close);
        }
        return { ...inner, start: t.start, end: close.end };
      }
      case 'field':
        return this.nested(t, () => this.parseField(t));
      case 'phrase':
        return this.leafPhrase(t);
      case 'regex':
        return this.leafRegex(t);
      case 'term':
        return this.leafTerm(t);
      default:
        this.unexpected(t);
    }
  }

  private parseField(t: Token): QueryNode {
    const name = t.value as FieldName;
    if (this.meta || this.textField) {
      throw new QuerySyntaxError(`${name}: cannot be used inside ${this.meta ?? this.textField}:`, t.start, t.end - t.start, 'use fields side by side instead of nesting them');
    }
    const value = this.peek();
    if (value.type !== 'term' && value.type !== 'phrase' && value.type !== 'regex' && value.type !== 'lparen') {
      throw new QuerySyntaxError(`${name}: must be followed by a word, phrase, regular expression or parenthesised group`, t.start, t.end - t.start, `put the negation before the field: -${name}:word`);
    }
    if ((TEXT_FIELDS as readonly string[]).includes(name)) {
      this.textField = name as TextField;
      try {
        const child = this.parsePrimary();
        return { type: 'field', field: name as TextField, child, start: t.start, end: child.end };
      } finally {
        this.textField = undefined;
      }
    }
    this.meta = name as MetaField;
    try {
      const child = this.parsePrimary();
      return { ...child, start: t.start, end: child.end };
    } finally {
      this.meta = undefined;
    }
  }

  private leafRegex(t: Token): QueryNode {
    const text = this.q.slice(t.start, t.end);
    if (this.meta) return this.leafMeta(this.meta, text, t);
    if (t.value === '') {
      throw new QuerySyntaxError('empty regular expression', t.start, 2, 'write a pattern between the slashes, e.g. /cease-?fire/');
    }
    try {
      UserRegex.compile(t.value);
    } catch (e) {
      // The pattern starts one character after the opening slash.
      if (e instanceof RegexSyntaxError) {
        if (e.offset === undefined) throw new QuerySyntaxError(e.message, t.start, t.end - t.start, e.hint);
        throw new QuerySyntaxError(e.message, t.start + 1 + e.offset, Math.max(1, e.length), e.hint);
      }
      throw e;
    }
    return { type: 'regex', text, source: t.value, start: t.start, end: t.end };
  }

  private leafPhrase(t: Token): QueryNode {
    const text = this.q.slice(t.start, t.end);
    if (this.meta) return this.leafMeta(this.meta, t.value, t);
    const u = units(t.value);
    if (u.length === 0) {
      throw new QuerySyntaxError('the phrase has no words to search for', t.start, t.end - t.start, 'write words between the quotes, e.g. "peace talks"');
    }
    return { type: 'phrase', text, units: u, start: t.start, end: t.end };
  }

  private leafMeta(field: MetaField, raw: string, t: Token): QueryNode {
    const text = this.q.slice(t.start, t.end);
    let value = fold(raw.trim());
    if (field === 'site') {
      if (value.includes('/')) {
        try {
          value = new URL(value.includes('://') ? value : `http://${value}`).hostname;
        } catch {
          // keep as written; it simply will not match
        }
      }
      value = value.replace(/^\.+|\.+$/g, '');
    }
    if (field === 'lang') value = value.replace(/_/g, '-');
    if (value === '') {
      throw new QuerySyntaxError(`empty value for ${field}:`, t.start, t.end - t.start);
    }
    return { type: 'meta', field, value, text, start: t.start, end: t.end };
  }

  private leafTerm(t: Token): QueryNode {
    if (this.meta) return this.leafMeta(this.meta, t.value, t);
    const text = t.value;
    const star = text.indexOf('*');
    if (star !== -1) {
      if (star !== text.length - 1 || star === 0) {
        throw new QuerySyntaxError(star === 0 ? 'a term cannot start with *' : 'only a trailing * (prefix search) is supported', t.start + star, 1, 'write the beginning of the word followed by *, e.g. negotiat*');
      }
      const stem = text.slice(0, -1);
      const u = units(stem);
      if (u.length !== 1 || u[0]!.parts.length !== 1) {
        throw new QuerySyntaxError('a prefix must be a single word', t.start, t.end - t.start, 'combine words with NEAR instead, e.g. peace NEAR/1 negotiat*');
      }
      return { type: 'prefix', text, prefix: fold(stem), start: t.start, end: t.end };
    }
    const u = units(text);
    if (u.length === 0) {
      throw new QuerySyntaxError(`"${text}" has no letters or digits to search for`, t.start, t.end - t.start, 'use a regular expression such as /\\+\\+/ to search for punctuation');
    }
    return { type: 'term', text, units: u, start: t.start, end: t.end };
  }
}

/** Parses a query string into its syntax tree; throws QuerySyntaxError. */
export function parseQuery(query: string): QueryNode {
  return new Parser(query).parse();
}
