// `newswatch parse-feed` prints the items as the pipeline normalises them, without content and
// contentHtml when those only repeat the summary (an RSS <description> is read as both).

import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const FEED = `<?xml version="1.0"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Wire</title><link>http://wire.example/</link>
<item><guid>1</guid><title>One</title><link>http://wire.example/1</link><description>Kyiv says a truce is possible.</description></item>
<item><guid>2</guid><title>Two</title><link>http://wire.example/2</link><description>Kyiv says  a truce is POSSIBLE.</description>
  <content:encoded><![CDATA[<p>Kyiv says a truce is possible.</p>]]></content:encoded></item>
<item><guid>3</guid><title>Three</title><link>http://wire.example/3</link><description>Short teaser.</description>
  <content:encoded><![CDATA[<p>Short teaser.</p><p>And the whole story follows here.</p>]]></content:encoded></item>
</channel></rss>`;

it('leaves out content and contentHtml that only repeat the summary, and keeps content that says more', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'newswatch-parse-feed-'));
  await writeFile(join(dir, 'feed.xml'), FEED);
  const run = await runCli(['--config', dir, 'parse-feed', join(dir, 'feed.xml')], {});
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const items = (JSON.parse(run.stdout) as { items: Record<string, unknown>[] }).items;
  expect(items.map((i) => i.summary)).toEqual(['Kyiv says a truce is possible.', 'Kyiv says a truce is POSSIBLE.', 'Short teaser.']);
  expect(items[0]).not.toHaveProperty('content');
  expect(items[0]).not.toHaveProperty('contentHtml');
  expect(items[1]).not.toHaveProperty('content');
  expect(items[1]).not.toHaveProperty('contentHtml');
  expect(items[2]).toMatchObject({ content: 'Short teaser. And the whole story follows here.', contentHtml: '<p>Short teaser.</p><p>And the whole story follows here.</p>' });
});
