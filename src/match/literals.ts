// Finds which of many lower-case ASCII literals (the texts regex rules must contain, at least 3
// characters each) occur in an article's text, in one pass however many there are: each
// position's 3-character window is checked against a small bit set of the literals' first three
// characters, and only on a hit are the literals starting with them compared there. A handful of
// literals are simply searched for one by one, which is faster for so few.

const MIN_LENGTH = 3;
const SCAN_FROM = 4;
const BITS = 1 << 16;

/** Window of the last three characters, 7 bits each (non-ASCII folded: only adds compares). */
const roll = (window: number, code: number) => ((window << 7) | (code & 127)) & 0x1fffff;
const bit = (window: number) => Math.imul(window, 0x9e3779b1) >>> 16;

export class LiteralSet {
  private readonly list: Array<[string, number]>;
  /** First-three-character windows of the literals, hashed to BITS bits. */
  private readonly firsts = new Uint32Array(BITS / 32);
  /** Exact first-three-character window → the literals starting so. */
  private readonly byFirst = new Map<number, Array<[string, number]>>();

  /** `literals`: text (lower case ASCII, at least 3 characters) → id. */
  constructor(literals: ReadonlyMap<string, number> = new Map()) {
    this.list = [];
    for (const [text, id] of literals) this.add(text, id);
  }

  /** Adds a literal (lower case ASCII, at least 3 characters) with its id. */
  add(text: string, id: number): void {
    if (text.length < MIN_LENGTH) throw new Error(`regex literal "${text}" is shorter than ${MIN_LENGTH} characters`);
    const entry: [string, number] = [text, id];
    this.list.push(entry);
    let w = 0;
    for (let i = 0; i < MIN_LENGTH; i++) w = roll(w, text.charCodeAt(i));
    const b = bit(w);
    this.firsts[b >>> 5]! |= 1 << (b & 31);
    const bucket = this.byFirst.get(w);
    if (bucket) bucket.push(entry);
    else this.byFirst.set(w, [entry]);
  }

  get size(): number {
    return this.list.length;
  }

  /** Calls `found` with the id of every literal that occurs in `text` (at least once each). */
  scan(text: string, found: (id: number) => void): void {
    if (this.list.length < SCAN_FROM) {
      for (const [lit, id] of this.list) if (text.includes(lit)) found(id);
      return;
    }
    const firsts = this.firsts;
    let w = 0;
    for (let i = 0; i < text.length; i++) {
      w = roll(w, text.charCodeAt(i));
      if (i < MIN_LENGTH - 1) continue;
      const b = bit(w);
      if ((firsts[b >>> 5]! & (1 << (b & 31))) === 0) continue;
      const bucket = this.byFirst.get(w);
      if (bucket === undefined) continue;
      const at = i - (MIN_LENGTH - 1);
      for (const [lit, id] of bucket) if (text.startsWith(lit, at)) found(id);
    }
  }
}
