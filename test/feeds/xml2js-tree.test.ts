// replay builds from the canonical pass's events the tree rss-parser's xml2js parser makes of the
// canonical XML text.

import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import Parser from 'rss-parser';
import { describe, expect, it } from 'vitest';
import { canonicalFeedXml } from '../../src/feeds/xml-canonical.js';
import { replay, replayable } from '../../src/feeds/xml2js-tree.js';

/** The xml2js parser rss-parser makes for itself, reading the XML text. */
type Xml2js = { parseString(xml: string, cb: (err: Error | null, tree: unknown) => void): void };
const viaXml2js = (xml: string) =>
  new Promise<unknown>((resolve, reject) => (new Parser() as unknown as { xmlParser: Xml2js }).xmlParser.parseString(xml, (err, tree) => (err ? reject(err) : resolve(tree))));

/** Key order matters too: rss-parser walks some objects in order. */
const keyOrder = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.keys(x).map((k) => [`.${k}`, (x as Record<string, unknown>)[k]])) : x));

async function sameTree(feed: string): Promise<void> {
  const canonical = canonicalFeedXml(feed);
  const expected = await viaXml2js(canonical.xml);
  const tree = replay(canonical.events);
  expect(isDeepStrictEqual(tree, expected)).toBe(true);
  expect(keyOrder(tree)).toBe(keyOrder(expected));
}

describe('replay', () => {
  it('builds what xml2js reads from an RSS feed with attributes, CDATA, empty and repeated elements', () =>
    sameTree(
      `<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>T</title><language>en</language>
        <item><title>a &amp; b</title><link>https://e.org/1</link><guid isPermaLink="false"> g1 </guid><category>x</category><category domain="d">y</category>
          <description><![CDATA[<p>one</p>]]></description><dc:creator/><enclosure url="https://e.org/a.mp3" length="1" type="audio/mpeg"/></item>
        <item><title xml:lang="en">  </title><description>   </description><comments></comments></item></channel></rss>`,
    ));

  it('builds what xml2js reads from an Atom feed with xhtml content and links', () =>
    sameTree(
      `<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://e.org/"><title type="text">F</title><entry><id>1</id>
        <link rel="alternate" href="/a"/><link rel="enclosure" href="/b"/><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>x</p></div></content>
        <author><name>N</name></author><category term="t" label="L"/></entry></feed>`,
    ));

  it('builds what xml2js reads from generated documents', async () => {
    const name = fc.constantFrom('rss', 'channel', 'item', 'title', 'description', 'link', 'guid', 'category', 'x:y', 'content:encoded', 'media:group');
    const text = fc.constantFrom('', ' ', '\n  ', 'a', 'a &amp; b', '&lt;p&gt;x&lt;/p&gt;', '<![CDATA[<b>c</b>]]>', '<![CDATA[ ]]>', '<![CDATA[]]>', 'x]]&gt;y');
    const attrs = fc.constantFrom('', ' a="1"', ' xml:lang="en"', ' type="html"', ' a="1" b="&amp;"', ' isPermaLink="false"');
    const tree: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        text,
        fc.tuple(name, attrs, fc.array(tie('node'), { maxLength: 4 })).map(([n, a, kids]) => (kids.length ? `<${n}${a}>${kids.join('')}</${n}>` : `<${n}${a}/>`)),
      ),
    })).node;
    await fc.assert(
      fc.asyncProperty(fc.array(tree, { maxLength: 5 }), async (kids) => {
        await sameTree(`<rss version="2.0" xmlns:x="urn:x"><channel>${kids.join('')}</channel></rss>`);
      }),
      { numRuns: 300 },
    );
  });

  it('leaves documents with elements named as xml2js keys to xml2js', () => {
    expect(replayable(canonicalFeedXml('<rss><channel><item><_>x</_></item></channel></rss>').events)).toBe(false);
    expect(replayable(canonicalFeedXml('<rss><channel><item><cdata>x</cdata></item></channel></rss>').events)).toBe(false);
    expect(replayable(canonicalFeedXml('<rss><channel><item><title>x</title></item></channel></rss>').events)).toBe(true);
  });
});
