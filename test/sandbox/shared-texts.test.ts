// Shared texts (src/sandbox/shared-texts.ts): a parsed feed's texts in one shared buffer, read
// back exactly, and referenced by an item only while its texts are the shared ones.

import { describe, expect, it } from 'vitest';
import { attachSharedTexts, readSharedTexts, shareTexts, sharedTextsOf, SHARED_TEXTS, type TextHolder } from '../../src/sandbox/shared-texts.js';

const items = (): TextHolder[] => [
  { title: 'Cease-fire talks', summary: "Russia’s envoys — in Geneva", content: 'Переговоры 😀 продолжились.' },
  { title: '', content: 'No summary here.' },
  {},
];

describe('shared texts', () => {
  it('reads back every text of every item exactly, non-ASCII, surrogate pairs and empty ones included', () => {
    const buffer = shareTexts(items());
    expect(buffer).toBeInstanceOf(SharedArrayBuffer);
    items().forEach((item, index) => {
      expect(readSharedTexts({ buffer, index })).toEqual([item.title ?? '', item.summary ?? '', item.content ?? '']);
    });
    expect(() => readSharedTexts({ buffer, index: 3 })).toThrow(/no item 3 of 3/);
  });

  it('gives an item its reference only while its texts are the shared ones, and never in JSON', () => {
    const list = items();
    const buffer = shareTexts(list);
    attachSharedTexts(list, buffer);
    expect(sharedTextsOf(list[1]!)).toEqual({ buffer, index: 1 });
    expect(JSON.stringify(list[1])).toBe(JSON.stringify(items()[1]));
    const copy = { ...list[0]! };
    expect(copy[SHARED_TEXTS]).toBe(list[0]![SHARED_TEXTS]);
    expect(sharedTextsOf(copy)).toEqual({ buffer, index: 0 });
    expect(sharedTextsOf({ ...list[0]!, content: 'The page text.' })).toBeUndefined();
    expect(sharedTextsOf({ ...list[0]!, title: 'Another title' })).toBeUndefined();
    expect(sharedTextsOf(items()[0]!)).toBeUndefined();
  });
});
