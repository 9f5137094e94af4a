// test-rule's report, as text: hits in context cut at word boundaries, each hit listed once.

import { describe, expect, it } from 'vitest';
import { hitContext, renderReport } from '../../src/cli/test-rule.js';
import { compileRule, evaluateRule } from '../../src/match/index.js';

const TEXT = 'Officials in the southern port city confirmed on Monday that Ukraine energy infrastructure was attacked overnight by drones and missiles.';

describe('hitContext', () => {
  it('cuts the context at word boundaries, with an ellipsis where text is left out', () => {
    const start = TEXT.indexOf('Ukraine');
    const context = hitContext(TEXT, start, start + 'Ukraine'.length);
    expect(context).toMatch(/^… ?\S/);
    expect(context).toMatch(/\S ?…$/);
    expect(context).toContain('[Ukraine]');
    // Every word shown is a whole word of the text.
    const words = new Set(TEXT.split(/\s+/));
    for (const word of context.replace(/[[\]…]/g, ' ').trim().split(/\s+/)) expect(words, word).toContain(word);
  });

  it('keeps a short text whole, without ellipses', () => {
    expect(hitContext('Kyiv ready for truce talks', 0, 4)).toBe('[Kyiv] ready for truce talks');
  });

  it('cuts inside a very long word only when there is no boundary near', () => {
    const text = `${'x'.repeat(80)} Kyiv ${'y'.repeat(80)}`;
    const context = hitContext(text, 81, 85);
    expect(context).toContain('[Kyiv]');
    expect(context.length).toBeLessThan(100);
  });
});

describe('renderReport', () => {
  it('lists a hit that several terms of the query found once, naming the terms', () => {
    const spec = { id: 'r', query: 'kyiv OR kyiv* OR "kyiv"' };
    const article = { id: 'a', feed: 'wire', title: 'Kyiv truce holds', summary: 'In Kyiv the truce holds.' };
    const match = evaluateRule(compileRule(spec), article);
    expect(match).not.toBeNull();
    const report = renderReport(spec, undefined, 'Feed', [{ article, matched: true, hits: match!.hits, unmet: [] }]);
    const lines = report.split('\n').filter((l) => l.includes('[Kyiv]'));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/title\s+\[Kyiv\] truce holds$/);
    expect(lines[1]).toMatch(/summary\s+In \[Kyiv\] the truce holds\.$/);
    for (const line of lines) for (const term of ['kyiv,', 'kyiv*', '"kyiv"']) expect(line).toContain(term);
  });
});
