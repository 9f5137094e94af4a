// The README and docs/ agree with each other and with the code on what users read most: what
// NEAR/n means, how a problem's place is shown, and no pointers at files users do not have.

import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { compileRule, parseQuery, testRule, type QuerySyntaxError } from '../src/match/index.js';
import { readYaml } from '../src/config/yaml-source.js';

async function userDocs(): Promise<[string, string][]> {
  const files = ['README.md', ...(await readdir('docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  return Promise.all(files.map(async (f): Promise<[string, string]> => [f, await readFile(f, 'utf8')]));
}

describe('README.md and docs/', () => {
  it('say NEAR/n allows at most n words between, as the matcher counts, and the parser says so too', async () => {
    const rule = compileRule({ id: 'r', query: 'ukraine NEAR/2 ceasefire' });
    expect(testRule(rule, { id: 'a', title: 'ukraine one two ceasefire' })).toBe(true);
    expect(testRule(rule, { id: 'b', title: 'ukraine one two three ceasefire' })).toBe(false);
    for (const [file, text] of await userDocs()) {
      for (const line of text.split('\n').filter((l) => /NEAR\/\d/.test(l))) {
        expect(line, `${file}: ${line}`).not.toMatch(/words apart|within \d+ words/i);
      }
    }
    const readme = (await userDocs()).find(([f]) => f === 'README.md')![1];
    expect(readme).toMatch(/`ukraine NEAR\/10 ceasefire` \| at most 10 words between/);
    let hint = '';
    try {
      parseQuery('ukraine NEAR ceasefire');
    } catch (err) {
      hint = (err as QuerySyntaxError).hint ?? '';
    }
    expect(hint).toContain('at most 10 words between');
  });

  it('describe the caret that validate prints under a problem, not underlining', async () => {
    const { issues } = readYaml('feeds.yaml', 'feeds:\n  - id: [a\n', {});
    expect(issues[0]?.excerpt).toMatch(/\n\s*\^$/);
    for (const [file, text] of await userDocs()) expect(text, file).not.toMatch(/underlined/i);
  });

  it('do not point users at ../shared (a folder beside the developers\' checkout only)', async () => {
    for (const [file, text] of await userDocs()) expect(text, file).not.toContain('../shared');
  });
});
