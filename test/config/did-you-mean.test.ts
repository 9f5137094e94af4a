import { describe, expect, it } from 'vitest';
import { closestId } from '../../src/config/did-you-mean.js';

const RULES = ['ukraine-ceasefire', 'black-sea-shipping', 'ukraine-energy-attacks'];

describe('closestId', () => {
  it('finds the id whose words the typed ones misspell, though its whole is longer', () => {
    expect(closestId('ukraine-enrgy', RULES)).toBe('ukraine-energy-attacks');
    expect(closestId('energy-attack', RULES)).toBe('ukraine-energy-attacks');
    expect(closestId('black-sea', RULES)).toBe('black-sea-shipping');
  });
  it('finds a misspelt whole id', () => {
    expect(closestId('ukraine-cesefire', RULES)).toBe('ukraine-ceasefire');
    expect(closestId('Ukraine-Ceasefire', RULES)).toBe('ukraine-ceasefire');
    expect(closestId('ukraineceasefire', RULES)).toBe('ukraine-ceasefire');
  });
  it('suggests nothing when no id is close', () => {
    expect(closestId('elections', RULES)).toBeUndefined();
    expect(closestId('x', RULES)).toBeUndefined();
    expect(closestId('ukraine-enrgy', [])).toBeUndefined();
  });
});
