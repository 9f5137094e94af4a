import { describe, expect, it } from 'vitest';
import { matches } from './helpers.js';

describe('terms', () => {
  it('matches a word with the same stem', () => {
    expect(matches('negotiation', 'The negotiations resumed')).toBe(true);
    expect(matches('negotiation', 'They are negotiating')).toBe(true);
    expect(matches('negotiation', 'A neglected region')).toBe(false);
  });
  it('ignores case and diacritics on both sides', () => {
    expect(matches('zelenskyi', 'President Zelenskyí said')).toBe(true);
    expect(matches('ZELENSKYÍ', 'president zelenskyi said')).toBe(true);
    expect(matches('munchen', 'Flights to München resumed')).toBe(true);
  });
  it('applies NFKC so compatibility forms match', () => {
    expect(matches('office', 'The oﬃce was closed')).toBe(true);
  });
  it('does not match inside a longer word', () => {
    expect(matches('war', 'a warning was issued')).toBe(false);
  });
  it('treats an English possessive as not part of the word', () => {
    expect(matches('russia', "Russia's army")).toBe(true);
    expect(matches('russia', 'Russia’s army')).toBe(true);
    expect(matches("russia's", 'Russia has')).toBe(true);
  });
  it('stems with the article language when it is known', () => {
    // French "négociations" and "négociation" share a stem only with the French stemmer rules.
    expect(matches('negociation', { content: 'Les négociations continuent', language: 'fr' })).toBe(true);
  });
});

describe('hyphenated words', () => {
  it('matches "cease-fire" for the term ceasefire', () => {
    expect(matches('ceasefire', 'a cease-fire was agreed')).toBe(true);
  });
  it('matches "cease-fire" for the phrase "cease fire"', () => {
    expect(matches('"cease fire"', 'a cease-fire was agreed')).toBe(true);
  });
  it('matches the parts of a hyphenated word', () => {
    expect(matches('fire', 'a cease-fire was agreed')).toBe(true);
  });
  it('matches ceasefire and cease-fire for the query cease-fire', () => {
    expect(matches('cease-fire', 'a ceasefire was agreed')).toBe(true);
    expect(matches('cease-fire', 'a cease-fire was agreed')).toBe(true);
    expect(matches('cease-fire', 'they cease fire at dawn')).toBe(true);
    expect(matches('cease-fire', 'the fire will cease')).toBe(false);
  });
  it('stems the joined form of a hyphenated word', () => {
    expect(matches('ceasefire', 'two cease-fires collapsed')).toBe(true);
  });
});

describe('phrases', () => {
  it('matches consecutive words exactly', () => {
    expect(matches('"peace talks"', 'the peace talks began')).toBe(true);
    expect(matches('"peace talks"', 'talks about peace')).toBe(false);
    expect(matches('"peace talks"', 'peace and talks')).toBe(false);
  });
  it('does not stem phrase words', () => {
    expect(matches('"peace talk"', 'the peace talks began')).toBe(false);
  });
  it('is case- and diacritic-insensitive', () => {
    expect(matches('"PEACE TALKS"', 'Peace Talks')).toBe(true);
    expect(matches('"cafe society"', 'Café Society')).toBe(true);
  });
  it('treats a one-word phrase as an exact word', () => {
    expect(matches('"talks"', 'talks')).toBe(true);
    expect(matches('"talks"', 'talk')).toBe(false);
  });
  it('does not run across punctuation-free field boundaries', () => {
    expect(matches('"peace talks"', { title: 'Peace', summary: 'talks resumed' })).toBe(false);
  });
  it('accepts typographic quotes', () => {
    expect(matches('“peace talks”', 'the peace talks began')).toBe(true);
  });
});

describe('boolean operators', () => {
  const text = 'Ukraine and Russia agreed a ceasefire';
  it('treats words side by side as AND', () => {
    expect(matches('ukraine ceasefire', text)).toBe(true);
    expect(matches('ukraine election', text)).toBe(false);
  });
  it('supports AND, OR and NOT in upper case', () => {
    expect(matches('ukraine AND ceasefire', text)).toBe(true);
    expect(matches('election OR ceasefire', text)).toBe(true);
    expect(matches('ukraine NOT russia', text)).toBe(false);
    expect(matches('ukraine NOT election', text)).toBe(true);
  });
  it('treats lower-case and/or/not as words', () => {
    expect(matches('ukraine and russia', text)).toBe(true);
    expect(matches('ukraine or election', text)).toBe(false);
  });
  it('supports -term for NOT', () => {
    expect(matches('ukraine -russia', text)).toBe(false);
    expect(matches('ukraine -election', text)).toBe(true);
    expect(matches('ukraine -"peace talks"', text)).toBe(true);
  });
  it('binds AND tighter than OR', () => {
    expect(matches('election OR ukraine ceasefire', text)).toBe(true);
    expect(matches('ukraine election OR vote', text)).toBe(false);
  });
  it('uses parentheses to group', () => {
    expect(matches('ukraine (election OR ceasefire)', text)).toBe(true);
    expect(matches('-(election OR vote) ukraine', text)).toBe(true);
    expect(matches('-(election OR ceasefire) ukraine', text)).toBe(false);
  });
  it('binds NOT tighter than AND', () => {
    expect(matches('NOT election ukraine', text)).toBe(true);
  });
});

describe('fields', () => {
  const a = { title: 'Ukraine talks', summary: 'Leaders met', content: 'A ceasefire was discussed' };
  it('searches title, summary and content when unscoped', () => {
    expect(matches('ukraine', a)).toBe(true);
    expect(matches('leaders', a)).toBe(true);
    expect(matches('ceasefire', a)).toBe(true);
  });
});
