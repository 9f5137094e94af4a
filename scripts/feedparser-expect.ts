// Reads the `Expect:` line of a feedparser test file: a Python expression over feedparser's
// result (`feed[...]`, `entries[i][...]`, `bozo`, `encoding`). This module only parses: the
// expression becomes a list of conjuncts (its top-level `and`s), each an AST; what each one means
// for Newswatch is decided in feedparser-check.ts. Only the subset of Python those files use is
// understood (literals, subscripts, attributes, calls, comparisons, `not`, `and`, `or`, `+`);
// anything else throws, and the caller counts the file as not translated.

export type Node =
  | { kind: 'name'; name: string }
  | { kind: 'literal'; value: PyValue }
  | { kind: 'tuple' | 'list'; items: Node[] }
  | { kind: 'dict'; entries: [Node, Node][] }
  | { kind: 'index'; target: Node; index: Node }
  | { kind: 'attr'; target: Node; name: string }
  | { kind: 'call'; target: Node; args: Node[] }
  | { kind: 'not'; operand: Node }
  | { kind: 'bool'; op: 'and' | 'or'; operands: Node[] }
  | { kind: 'compare'; operands: Node[]; ops: CompareOp[] }
  | { kind: 'add'; left: Node; right: Node }
  | { kind: 'neg'; operand: Node };

export type CompareOp = '==' | '!=' | 'is' | 'is not' | 'in' | 'not in';
export type PyValue = string | number | boolean | null;

/** The expression after `Expect:` in the header comment, or undefined when there is none. */
export function expectLine(fileText: string): string | undefined {
  const head = fileText.slice(0, 8192);
  const found = /^\s*Expect:\s*(.+)$/m.exec(head) ?? /^\s*Expect:\s*(.+)$/m.exec(head.replace(/\0/g, ''));
  return found?.[1]?.trim();
}

/** The conjuncts of an expression: `a and (b and c)` gives [a, b, c]. */
export function conjuncts(node: Node): Node[] {
  return node.kind === 'bool' && node.op === 'and' ? node.operands.flatMap(conjuncts) : [node];
}

type Token = { type: 'str'; value: string } | { type: 'num'; value: number } | { type: 'name'; value: string } | { type: 'op'; value: string };

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0', a: '\x07', b: '\b', f: '\f', v: '\v' };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i] as string;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const str = /^([uUrRbB]?)('''|"""|'|")/.exec(source.slice(i));
    if (str) {
      const [all, prefix, quote] = str as unknown as [string, string, string];
      const raw = /r/i.test(prefix);
      let value = '';
      i += all.length;
      for (;;) {
        if (i >= source.length) throw new Error(`unterminated string in ${source}`);
        if (source.startsWith(quote, i)) {
          i += quote.length;
          break;
        }
        const c = source[i] as string;
        if (c === '\\' && !raw) {
          const next = source[i + 1] ?? '';
          const hex = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0;
          if (hex) {
            value += String.fromCodePoint(parseInt(source.slice(i + 2, i + 2 + hex), 16));
            i += 2 + hex;
          } else if (next in ESCAPES) {
            value += ESCAPES[next];
            i += 2;
          } else {
            value += c + next;
            i += 2;
          }
        } else {
          value += c;
          i++;
        }
      }
      tokens.push({ type: 'str', value });
      continue;
    }
    const num = /^\d+(?:\.\d+)?/.exec(source.slice(i));
    if (num) {
      tokens.push({ type: 'num', value: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const name = /^[A-Za-z_]\w*/.exec(source.slice(i));
    if (name) {
      tokens.push({ type: 'name', value: name[0] });
      i += name[0].length;
      continue;
    }
    const op = /^(==|!=|[[\](){},.:+-])/.exec(source.slice(i));
    if (!op) throw new Error(`unexpected "${ch}" in ${source}`);
    tokens.push({ type: 'op', value: op[0] });
    i += op[0].length;
  }
  return tokens;
}

/** Parses one Python expression of the subset described above. */
export function parseExpression(source: string): Node {
  const tokens = tokenize(source);
  let pos = 0;
  const peek = (offset = 0) => tokens[pos + offset];
  const isOp = (value: string, offset = 0) => peek(offset)?.type === 'op' && peek(offset)?.value === value;
  const isName = (value: string, offset = 0) => peek(offset)?.type === 'name' && peek(offset)?.value === value;
  const expectOp = (value: string) => {
    if (!isOp(value)) throw new Error(`expected "${value}" at token ${pos} of ${source}`);
    pos++;
  };

  const orExpr = (): Node => boolExpr('or', andExpr);
  const andExpr = (): Node => boolExpr('and', notExpr);
  function boolExpr(op: 'and' | 'or', next: () => Node): Node {
    const operands = [next()];
    while (isName(op)) {
      pos++;
      operands.push(next());
    }
    return operands.length === 1 ? (operands[0] as Node) : { kind: 'bool', op, operands };
  }
  function notExpr(): Node {
    if (isName('not')) {
      pos++;
      return { kind: 'not', operand: notExpr() };
    }
    return comparison();
  }
  function comparison(): Node {
    const operands = [sum()];
    const ops: CompareOp[] = [];
    for (;;) {
      let op: CompareOp | undefined;
      if (isOp('==') || isOp('!=')) op = (peek() as { value: CompareOp }).value;
      else if (isName('is')) op = isName('not', 1) ? 'is not' : 'is';
      else if (isName('in')) op = 'in';
      else if (isName('not') && isName('in', 1)) op = 'not in';
      if (!op) break;
      pos += op.includes(' ') ? 2 : 1;
      ops.push(op);
      operands.push(sum());
    }
    return ops.length ? { kind: 'compare', operands, ops } : (operands[0] as Node);
  }
  function sum(): Node {
    let left = unary();
    while (isOp('+')) {
      pos++;
      left = { kind: 'add', left, right: unary() };
    }
    return left;
  }
  function unary(): Node {
    if (isOp('-')) {
      pos++;
      return { kind: 'neg', operand: unary() };
    }
    return postfix();
  }
  function postfix(): Node {
    let node = primary();
    for (;;) {
      if (isOp('[')) {
        pos++;
        const index = orExpr();
        expectOp(']');
        node = { kind: 'index', target: node, index };
      } else if (isOp('.') && peek(1)?.type === 'name') {
        node = { kind: 'attr', target: node, name: String(peek(1)?.value) };
        pos += 2;
      } else if (isOp('(')) {
        pos++;
        node = { kind: 'call', target: node, args: sequence(')') };
      } else {
        return node;
      }
    }
  }
  function sequence(close: string): Node[] {
    const items: Node[] = [];
    while (!isOp(close)) {
      items.push(orExpr());
      if (!isOp(close)) expectOp(',');
    }
    pos++;
    return items;
  }
  function primary(): Node {
    const token = peek();
    if (!token) throw new Error(`unexpected end of ${source}`);
    pos++;
    if (token.type === 'str') {
      let value = token.value;
      // Adjacent literals concatenate, as in Python.
      while (peek()?.type === 'str') value += String(tokens[pos++]?.value);
      return { kind: 'literal', value };
    }
    if (token.type === 'num') return { kind: 'literal', value: token.value };
    if (token.type === 'name') {
      if (token.value === 'None') return { kind: 'literal', value: null };
      if (token.value === 'True' || token.value === 'False') return { kind: 'literal', value: token.value === 'True' };
      return { kind: 'name', name: token.value };
    }
    if (token.value === '(') {
      const items = sequence(')');
      const trailingComma = tokens[pos - 2]?.value === ',';
      return items.length === 1 && !trailingComma ? (items[0] as Node) : { kind: 'tuple', items };
    }
    if (token.value === '[') return { kind: 'list', items: sequence(']') };
    if (token.value === '{') {
      const entries: [Node, Node][] = [];
      while (!isOp('}')) {
        const key = orExpr();
        expectOp(':');
        entries.push([key, orExpr()]);
        if (!isOp('}')) expectOp(',');
      }
      pos++;
      return { kind: 'dict', entries };
    }
    throw new Error(`unexpected "${token.value}" in ${source}`);
  }

  const node = orExpr();
  if (pos !== tokens.length) throw new Error(`unexpected "${String(peek()?.value)}" at token ${pos} of ${source}`);
  return node;
}
