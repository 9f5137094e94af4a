// The canonical form parse.ts hands to rss-parser (src/feeds/xml-canonical.ts).

import { describe, expect, it } from 'vitest';
import { canonicalFeedXml } from '../../src/feeds/xml-canonical.js';

describe('canonicalFeedXml', () => {
  it('writes RSS elements without their prefix and keeps other namespaces apart', () => {
    const { xml, root } = canonicalFeedXml('<r:rss xmlns:r="http://backend.userland.com/rss2" xmlns:x="urn:x"><r:channel><x:title>no</x:title><r:title>yes</r:title></r:channel></r:rss>');
    expect(root).toBe('rss');
    expect(xml).toContain('<channel><x:title>no</x:title><title><![CDATA[yes]]></title></channel>');
  });

  it('gives known modules their usual prefix whatever the feed called them, and keeps undeclared prefixes', () => {
    const { xml } = canonicalFeedXml('<rss xmlns:m="http://search.yahoo.com/mrss/"><channel><item><m:credit>a</m:credit><dc:creator>b</dc:creator></item></channel></rss>');
    expect(xml).toContain('<media:credit>a</media:credit><dc:creator>b</dc:creator>');
  });

  it('serialises xhtml in document order, drops the wrapping div and writes it as one HTML string', () => {
    const { xml } = canonicalFeedXml(
      '<feed xmlns="http://www.w3.org/2005/Atom"><entry><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">a <b>b</b> c <i>d</i> <br/>e &amp; f</div></content></entry></feed>',
    );
    expect(xml).toContain('<content><![CDATA[a <b>b</b> c <i>d</i> <br>e &amp; f]]></content>');
  });

  it('reads escaped HTML inside a typepad-style div as HTML', () => {
    const { xml } = canonicalFeedXml('<feed xmlns="http://www.w3.org/2005/Atom"><title type="html"><div xmlns="http://www.w3.org/1999/xhtml">x &lt;b&gt;y&lt;/b&gt;</div></title></feed>');
    expect(xml).toContain('<title><![CDATA[x <b>y</b>]]></title>');
  });

  it('keeps the text of markup nested deeper than 512 levels, not its tags', () => {
    const depth = 2000;
    const { xml } = canonicalFeedXml(`<rss><channel><item><description>${'<span>'.repeat(depth)}deep${'</span>'.repeat(depth)}</description></item></channel></rss>`);
    expect(xml.match(/<span>/g)).toHaveLength(512);
    expect(xml).toContain('deep');
  });

  it('carries xml:base and xml:lang of the <rss> root down to <channel>', () => {
    const { xml } = canonicalFeedXml('<rss xml:base="https://a.example/x/" xml:lang="uk"><channel xml:base="y/"><title>t</title></channel></rss>');
    expect(xml).toContain('<channel xml:base="https://a.example/x/y/" xml:lang="uk">');
  });

  it('writes text constructs as CDATA, split where the HTML holds "]]>", and white space alone as text', () => {
    const { xml } = canonicalFeedXml('<rss><channel><item><title>a ]]&gt; b</title><description xml:lang="en"> \n </description></item></channel></rss>');
    expect(xml).toContain('<title><![CDATA[a ]]]]><![CDATA[> b]]></title>');
    expect(xml).toContain('<description xml:lang="en"> \n </description>');
  });

  it('throws on XML that is not well-formed', () => {
    expect(() => canonicalFeedXml('<rss><channel></rss>')).toThrow();
  });
});
