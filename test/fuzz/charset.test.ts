// Fuzzing the charset decoder (src/feeds/charset.ts, issue 13): random bytes, and fixture feeds
// with byte order marks, XML declarations and <meta charset> of any encoding, under any
// Content-Type header. It always gives a string and the encoding it used; it never throws.

import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HangGuard } from '../helpers/hang-guard.js';
import { fuzzTimeout, runFuzz } from './budget.js';
import { mutated } from './mutate.js';
import type { charsetOutcome } from './targets.js';

const guard = new HangGuard(new URL('./targets.ts', import.meta.url).href, 5_000);
beforeAll(() => guard.start(), 60_000);
afterAll(() => guard.close());

const DIR = new URL('../fixtures/feeds/', import.meta.url);
const FIXTURES = readdirSync(DIR).map((f) => readFileSync(new URL(f, DIR)).toString('latin1'));

const LABELS = ['utf-8', 'utf8', 'UTF-16', 'utf-16be', 'utf-16le', 'utf-32', 'utf-32be', 'koi8-r', 'koi8-u', 'windows-1251', 'windows-1252', 'iso-8859-1', 'latin1', 'us-ascii', 'shift_jis', 'euc-jp', 'gb18030', 'gbk', 'big5', 'iso-2022-jp', 'x-user-defined', 'replacement', 'utf-7', 'cesu-8', 'ucs-2', 'binary', 'base64', 'hex', 'bogus', ''];
const label = fc.oneof(fc.constantFrom(...LABELS), fc.string({ maxLength: 12 }));
const BOMS = ['', '\xEF\xBB\xBF', '\xFE\xFF', '\xFF\xFE', '\x00\x00\xFE\xFF', '\xFF\xFE\x00\x00', '\x00\x00\x00<', '<\x00\x00\x00'];
const declaration = fc.oneof(
  label.map((l) => `<?xml version="1.0" encoding="${l}"?>`),
  label.map((l) => `<meta charset="${l}">`),
  label.map((l) => `<meta http-equiv="Content-Type" content="text/html; charset=${l}">`),
  fc.constant(''),
);
const randomBytes = fc.uint8Array({ maxLength: 3_000 }).map((b) => Buffer.from(b).toString('latin1'));
const body = fc.tuple(fc.constantFrom(...BOMS), fc.constantFrom('', ' \n\t'), declaration, fc.oneof(randomBytes, fc.constantFrom(...FIXTURES), mutated(fc.constantFrom(...FIXTURES), declaration, { bytes: true })));
const contentType = fc.option(fc.oneof(label.map((l) => `text/xml; charset=${l}`), label.map((l) => `text/html;charset="${l}"`), fc.string({ maxLength: 40 })), { nil: null });

describe('charset decoder (fuzz)', () => {
  it(
    'decodes any bytes under any declared charset to a string, never throwing',
    async () => {
      await runFuzz(
        'charset',
        fc.asyncProperty(body, contentType, async ([bom, space, decl, rest], type) => {
          const bytes = Buffer.from(bom + space + decl + rest, 'latin1');
          const out = await guard.call<ReturnType<typeof charsetOutcome>>('charsetOutcome', { bytes, contentType: type });
          expect(typeof out.text).toBe('string');
          expect(typeof out.fixed).toBe('string');
          expect(typeof out.encoding === 'string' && out.encoding.length > 0).toBe(true);
          expect(['bom', 'header', 'declaration', 'content', 'default']).toContain(out.source);
        }),
      );
    },
    fuzzTimeout(),
  );
});
