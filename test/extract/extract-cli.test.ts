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

describe('newswatch extract on hostile pages', () => {
  it('ends promptly on a page of <div>s nested 100,000 deep, saying it flattened them', async () => {
    const { config } = await setup();
    const page = join(config, '..', 'deep.html');
    await writeFile(page, `<html><body>${'<div>'.repeat(100_000)}<p>Deep down, the only paragraph of the page.</p>${'</div>'.repeat(100_000)}</body></html>`);
    const run = await runCli(['--config', config, 'extract', page], {});
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as { text: string }).text).toContain('Deep down, the only paragraph');
    expect(run.stderr).toMatch(/nests elements deeper than 512 levels; \d+ tags below that were dropped before parsing/);
  }, 120_000);

  it('refuses a file that is not HTML (an image) in one line instead of extracting its bytes as text', async () => {
    const { config } = await setup();
    const image = join(config, '..', 'photo.png');
    await writeFile(image, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from(' Kyiv agrees to a truce '.repeat(20))]));
    const run = await runCli(['--config', config, 'extract', image], {});
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim()).toMatch(/^newswatch: .*photo\.png: not an HTML page \(it does not start with markup\); only HTML and XHTML pages are extracted$/);
  }, 120_000);

  it('stops a page over the parsing budget of settings.yaml with one line naming the budget', async () => {
    const { config } = await setup();
    await writeFile(join(config, 'settings.yaml'), 'parsing:\n  timeout: 200ms\n');
    const page = join(config, '..', 'heavy.html');
    await writeFile(page, `<html><body>${'<div>'.repeat(500)}${'<p>x</p>'.repeat(500_000)}`);
    const run = await runCli(['--config', config, 'extract', page, '--url', 'https://hostile.example/heavy'], {});
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toMatch(/^newswatch: https:\/\/hostile\.example\/heavy: page extraction did not finish within 200 ms and was stopped; .*parsing\.timeout/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  }, 120_000);
});
