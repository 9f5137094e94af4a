// The fast XML reader (src/feeds/xml-simple.ts) against sax itself: where it reads a document
// it must give exactly sax's calls; everything else it must leave to sax.

import sax from 'sax';
import { describe, expect, it } from 'vitest';
import { canonicalFeedXml } from '../../src/feeds/xml-canonical.js';
import { readSimpleXml, type SimpleXmlHandler } from '../../src/feeds/xml-simple.js';

type Call = ['open', string, Record<string, string>, boolean] | ['close'] | ['text', string];

function recorder(): SimpleXmlHandler & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    openTag: (tag) => calls.push(['open', tag.name, { ...tag.attributes }, tag.isSelfClosing]),
    closeTag: () => calls.push(['close']),
    text: (value) => calls.push(['text', value]),
  };
}

/**
 * sax's calls for the document in strict mode, as canonicalFeedXml sets it up, or its error;
 * without the white space outside the root element, which the reader does not hand on (and
 * canonicalFeedXml never reads).
 */
function saxCalls(xml: string): Call[] | string {
  const handler = recorder();
  const parser = sax.parser(true, { xmlns: false, position: false });
  let depth = 0;
  parser.onopentag = (tag) => {
    depth++;
    handler.openTag(tag as sax.Tag);
  };
  parser.onclosetag = () => {
    depth--;
    handler.closeTag();
  };
  parser.ontext = (t) => depth > 0 && handler.text(t);
  parser.oncdata = (t) => depth > 0 && handler.text(t);
  parser.onerror = (err) => {
    throw err;
  };
  try {
    parser.write(xml).close();
  } catch (err) {
    return (err as Error).message.split('\n')[0]!;
  }
  return handler.calls;
}

function fastCalls(pieces: string[]): Call[] | undefined {
  const handler = recorder();
  return readSimpleXml(pieces, handler) ? handler.calls : undefined;
}

const READ_FAST: Record<string, string> = {
  'an RSS feed with its declaration, a BOM, a comment and a DOCTYPE whose ids hold ">"':
    '\uFEFF<?xml version="1.0" encoding="utf-8"?>\n<!-- made by hand -->\n<!DOCTYPE rss PUBLIC "-//Netscape//DTD RSS 0.91//EN" \'http://x/a>b.dtd\'>\n<rss version="2.0"><channel><title>T</title></channel></rss>\n',
  'entities: XML, HTML, upper case, decimal and hexadecimal references, in text and attributes':
    '<a t="&quot;x&quot; &amp; &#8217; &nbsp;">&lt;b&gt; &AMP; &eacute;&#x2019;&#X41;&#0065;</a>',
  'attributes: both quotes, white space around "=", a line break, "<" and ">" inside, repeated':
    "<a x = 'one'\n y=\"t<w>o\" z=\"a\r\nb\" x=\"again\"><b/><c  /></a>",
  'CDATA: text beside it, "]]]>" and an empty section': '<a>before<![CDATA[<p>x</p>]]]>after<![CDATA[]]>end</a>',
  'text around comments and processing instructions inside the root': '<a>one<!--c-->two<!---->three<?pi body?>four</a>',
  'close tags with white space and line ends kept as they are': '<a>\r\n  <b>x</b >\r\n</ a>\r\n',
  'text that holds ">" and "]]>"': '<a>1 > 0 ]]> fine</a>',
};

const LEFT_TO_SAX: Record<string, string> = {
  'an unknown entity': '<a>&nope;</a>',
  'a name on the object prototype': '<a>&constructor;</a>',
  'a bare ampersand': '<a>fish & chips</a>',
  'a reference to a character XML leaves out': '<a>&#0;&#xD800;</a>',
  'a reference past Unicode': '<a>&#x110000;</a>',
  'a DOCTYPE with an internal subset': '<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>',
  'a lower-case doctype': '<!doctype a><a/>',
  'a lower-case CDATA': '<a><![cdata[x]]></a>',
  'a non-ASCII name': '<café>x</café>',
  'an unquoted attribute': '<a x=1></a>',
  'an attribute without a value': '<a x></a>',
  'attributes without white space between them': '<a x="1"y="2"></a>',
  'an attribute called __proto__': '<a __proto__="x"></a>',
  'text outside the root': 'x<a/>',
  'a second root element': '<a/><b/>',
  'a close tag that does not match': '<a><b></a></b>',
  'an unclosed root': '<a><b></b>',
  'a comment with "--" inside': '<a><!-- a -- b --></a>',
  'white space after "<"': '< a></a>',
  'nothing but a declaration': '<?xml version="1.0"?>',
  'a CDATA section before the root': '<![CDATA[x]]><a/>',
};

describe('readSimpleXml', () => {
  it.each(Object.entries(READ_FAST))('reads %s exactly as sax does', (_, xml) => {
    const expected = saxCalls(xml);
    expect(typeof expected).not.toBe('string');
    expect(fastCalls([xml])).toEqual(expected);
  });

  it.each(Object.entries(LEFT_TO_SAX))('leaves %s to sax', (_, xml) => {
    expect(fastCalls([xml])).toBeUndefined();
  });

  it('gives the same calls whatever the pieces the text is cut into', () => {
    for (const xml of Object.values(READ_FAST)) {
      const whole = fastCalls([xml]);
      for (let cut = 0; cut <= xml.length; cut++) {
        expect(fastCalls([xml.slice(0, cut), xml.slice(cut)]), `cut at ${cut} of ${JSON.stringify(xml)}`).toEqual(whole);
      }
      expect(fastCalls([...xml])).toEqual(whole);
    }
  });

  it('leaves canonicalFeedXml with sax\'s result or sax\'s error either way', () => {
    for (const xml of [...Object.values(READ_FAST), ...Object.values(LEFT_TO_SAX)]) {
      const read = (position: boolean) => {
        try {
          const { root, events } = canonicalFeedXml(xml, { position });
          return { root, events };
        } catch (err) {
          return (err as Error).message.split('\n')[0];
        }
      };
      // With positions asked for, sax reads every document.
      expect(read(false), xml).toEqual(read(true));
    }
  });
});
