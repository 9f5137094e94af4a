// `newswatch extract FILE --url BASE`, run as the real command: JSON on stdout, with the config
// directory's sites.yaml applied as the article worker applies it.

import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const PARAGRAPHS = Array.from({ length: 5 }, (_, i) => `<p>Paragraph ${i + 1} of the report, long enough, with commas, to be the article body.</p>`).join('');
const PAGE = `<!doctype html><html lang="en"><head><title>Report</title><link rel="canonical" href="/news/report"></head>
<body><article><h1>Report</h1>${PARAGRAPHS}<div class="promo">Subscribe to our newsletter today</div></article></body></html>`;

async function setup(sites?: string): Promise<{ page: string; config: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'newswatch-extract-'));
  const page = join(dir, 'page.html');
  await writeFile(page, PAGE);
  const config = join(dir, 'config');
  await mkdir(config);
  if (sites !== undefined) await writeFile(join(config, 'sites.yaml'), sites);
  return { page, config };
}

describe('newswatch extract', () => {
  it('prints the text and metadata as JSON, links resolved against --url', async () => {
    const { page, config } = await setup();
    const run = await runCli(['--config', config, 'extract', page, '--url', 'https://news.example.org/a'], {});
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { title: string; canonicalUrl: string; text: string; language: string };
    expect(out).toMatchObject({ title: 'Report', canonicalUrl: 'https://news.example.org/news/report', language: 'en' });
    expect(out.text).toContain('Paragraph 5 of the report');
    expect(out.text).toContain('Subscribe to our newsletter');
  });

  it("applies the config directory's sites.yaml rule for the page's host", async () => {
    const { page, config } = await setup('sites:\n  - host: example.org\n    remove: [".promo"]\n');
    const run = await runCli(['--config', config, 'extract', page, '--url', 'https://news.example.org/a'], {});
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { text: string };
    expect(out.text).toContain('Paragraph 5 of the report');
    expect(out.text).not.toContain('Subscribe');
  });

  it('exits 1 naming file, line and column when sites.yaml is broken', async () => {
    const { page, config } = await setup('sites:\n  - host: example.org\n    content: "div[["\n');
    const run = await runCli(['--config', config, 'extract', page], {});
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/sites\.yaml:3:\d+/);
    expect(run.stderr).toContain('not a valid CSS selector');
  });
});
