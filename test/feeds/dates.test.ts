import { describe, expect, it } from 'vitest';
import { parseFeedDate } from '../../src/feeds/dates.js';
import { detectLanguage, languageCode } from '../../src/feeds/language.js';

describe('parseFeedDate', () => {
  it.each([
    ['Tue, 24 Nov 2026 10:00:00 GMT', '2026-11-24T10:00:00.000Z'],
    ['Tue, 24 Nov 2026 10:00:00 +0300', '2026-11-24T07:00:00.000Z'],
    ['Tue, 24 Nov 2026 10:00:00 EST', '2026-11-24T15:00:00.000Z'],
    ['Tue, 24 Nov 2026 10:00:00 MSK', '2026-11-24T07:00:00.000Z'],
    ['24 Nov 2026 10:00:00 CET', '2026-11-24T09:00:00.000Z'],
    ['Tue, 24 Nov 2026 10:00', '2026-11-24T10:00:00.000Z'],
    ['Tues, 4 Nov 26 10:00:00 GMT', '2026-11-04T10:00:00.000Z'],
    ['24 November 2026 10:00 +0300', '2026-11-24T07:00:00.000Z'],
    ['Tue, 24 Nov 2026 10:00:00 +0000 (UTC)', '2026-11-24T10:00:00.000Z'],
    ['2026-11-24T10:00:00Z', '2026-11-24T10:00:00.000Z'],
    ['2026-11-24T10:00:00.123456+03:00', '2026-11-24T07:00:00.123Z'],
    ['2026-11-24T10:00:00+0300', '2026-11-24T07:00:00.000Z'],
    ['2026-11-24T10:00Z', '2026-11-24T10:00:00.000Z'],
    ['2026-11-24 10:00:00', '2026-11-24T10:00:00.000Z'],
    ['20261124T100000Z', '2026-11-24T10:00:00.000Z'],
    ['2026-11-24', '2026-11-24T00:00:00.000Z'],
  ])('reads %j', (text, iso) => expect(parseFeedDate(text)).toBe(iso));

  it.each(['', 'garbage', 'sometime in May', 'Nov 2026', undefined])('gives up on %j', (text) => expect(parseFeedDate(text)).toBeUndefined());
});

describe('language', () => {
  it.each([
    ['en-GB', 'en'],
    ['EN_us', 'en'],
    ['uk-UA', 'uk'],
    ['ukr', 'uk'],
    ['rus', 'ru'],
    ['x', undefined],
    ['', undefined],
  ])('reduces the tag %j to %j', (tag, code) => expect(languageCode(tag)).toBe(code));

  it('detects Ukrainian, Russian and English news text', () => {
    expect(detectLanguage('Президент України заявив, що переговори про перемир’я можуть відбутися наступного тижня.')).toBe('uk');
    expect(detectLanguage('Президент России заявил журналистам, что переговоры о перемирии могут пройти на следующей неделе в Стамбуле, где уже находятся делегации.')).toBe('ru');
    expect(detectLanguage('Kyiv says truce must be verifiable. Ukraine wants monitors for any ceasefire.')).toBe('en');
  });

  it('makes no guess on short or ambiguous text', () => {
    expect(detectLanguage('Ceasefire talks')).toBeUndefined();
    expect(detectLanguage('Energy grid & repairs. Crews restored power to most districts.')).toBeUndefined();
  });
});
