// languageScores gives franc-min's francAll answer, score for score, in the same order.

import fc from 'fast-check';
import { francAll } from 'franc-min';
import { describe, expect, it } from 'vitest';
import { languageScores } from '../../src/feeds/trigram-scores.js';

const NEWS = [
  'Kyiv says the truce must be verifiable; Ukraine wants monitors for any ceasefire.',
  'Die Regierung hat am Dienstag neue Hilfen für die Energieversorgung beschlossen.',
  'Le gouvernement a présenté mercredi un projet de loi sur la réforme des retraites.',
  'El presidente anunció que las negociaciones continuarán la próxima semana en Madrid.',
  'Il governo ha approvato il decreto che prevede nuovi fondi per le regioni colpite.',
  'O ministro disse que as negociações com os sindicatos devem terminar até sexta-feira.',
  'De regering wil het tekort op de begroting volgend jaar met een miljard verkleinen.',
  'Rząd przyjął projekt ustawy o pomocy dla rolników poszkodowanych przez suszę.',
  'Президент України заявив, що переговори про перемир’я можуть відбутися наступного тижня.',
  'Президент России заявил журналистам, что переговоры о перемирии могут пройти в Стамбуле.',
  'Министерството на енергетиката обяви нови мерки за подкрепа на домакинствата.',
  'قالت الحكومة إن المحادثات ستستمر الأسبوع المقبل في القاهرة بمشاركة الوسطاء.',
  'सरकार ने कहा कि अगले सप्ताह बातचीत फिर से शुरू होगी और सभी पक्ष शामिल होंगे।',
  '政府表示，下周将在北京继续举行谈判，各方代表都将出席。',
  '政府は来週、東京で交渉を再開すると発表した。',
  'Η κυβέρνηση ανακοίνωσε νέα μέτρα στήριξης για τα νοικοκυριά.',
  'Hükümet, enerji fiyatlarına yönelik yeni destek paketini açıkladı.',
  'Chính phủ cho biết các cuộc đàm phán sẽ tiếp tục vào tuần tới.',
];
const compare = (text: string, minLength?: number) => expect(languageScores(text, minLength)).toEqual(francAll(text, { minLength }));

describe('languageScores', () => {
  it.each(NEWS)('scores %j as franc-min does', (text) => compare(text));

  it('scores mixed, cut and padded news text as franc-min does', () => {
    // Words of every script above, digits, punctuation, white space of every kind, surrogate
    // pairs (emoji, CJK Extension B) and lone surrogates, up to past franc's 2,048-character cut.
    const words = NEWS.flatMap((s) => s.split(' '));
    const piece = fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom(...words) },
      { weight: 2, arbitrary: fc.constantFrom(' ', '  ', '\n', '\t', '\u00a0', '\u2003', '\ufeff', '. ', ', ', '!', '?', '«', '»', '—', '(', ')', '"') },
      { weight: 1, arbitrary: fc.constantFrom('2026', '12:30', '€5', '😀', '𠀋', '\ud83d', '\udc00', 'İ', 'ß', 'ǅ', 'ΟΔΟΣ', 'ΣΟΦΙΑ', '𐐀𐐁') },
    );
    const text = fc.oneof(fc.array(piece, { maxLength: 400 }).map((p) => p.join('')), fc.string({ unit: 'binary', maxLength: 300 }));
    fc.assert(
      fc.property(text, fc.constantFrom(undefined, 1, 10, 50), (t, minLength) => {
        compare(t, minLength);
      }),
      { numRuns: 500 },
    );
  });

  it('answers und for text without letters or too short, as franc-min does', () => {
    for (const text of ['', 'short', '12345 67890 !!!', '           ']) compare(text);
  });
});
