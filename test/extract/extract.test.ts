// Specification of extractArticle on hand-written pages (test/fixtures/extract): metadata
// precedence, boilerplate removal, URL resolution, pages without an article, site rules.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractArticle } from '../../src/extract/index.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/extract/${name}`, import.meta.url), 'utf8');

/**
 * A page with `head` in its head, `before` ahead of the article in the body, and `inArticle`
 * after the article's five paragraphs of prose (enough for the scoring to choose them).
 */
function page(head: string, before = '', inArticle = ''): string {
  const prose = Array.from(
    { length: 5 },
    (_, i) => `<p>Paragraph ${i + 1} of the story, long enough to count, with commas, clauses, and a few more words to read.</p>`,
  ).join('');
  return `<!DOCTYPE html><html><head>${head}</head><body>${before}<div class="content">${prose}${inArticle}</div></body></html>`;
}

describe('metadata', () => {
  const article = extractArticle(fixture('news-article.html'), { url: 'https://courier.example/news/today/story.html' });

  it('prefers JSON-LD (found inside @graph) over Open Graph, meta tags and <title>', () => {
    expect(article.title).toBe('Harbour bridge reopens after two-year repair');
    expect(article.byline).toBe('Ada Byline, Ben Writer');
    expect(article.siteName).toBe('The Coastal Courier');
    expect(article.published).toBe('2024-03-05T07:30:00.000Z');
  });

  it('takes the language from <html lang> and resolves canonical and lead image URLs', () => {
    expect(article.language).toBe('en-GB');
    expect(article.canonicalUrl).toBe('https://courier.example/news/2024/harbour-bridge');
    expect(article.leadImage).toBe('https://courier.example/images/bridge-og.jpg');
  });

  it('falls back to Open Graph and article:* meta when there is no JSON-LD', () => {
    const result = extractArticle(
      page(`<title>Page title | Site</title>
        <meta property="og:title" content="Open Graph title">
        <meta property="og:site_name" content="OG Site">
        <meta property="og:locale" content="fr_FR">
        <meta property="article:published_time" content="2023-11-02T10:15:00+02:00">
        <meta name="author" content="Meta Author">`),
    );
    expect(result.title).toBe('Open Graph title');
    expect(result.siteName).toBe('OG Site');
    expect(result.language).toBe('fr-FR');
    expect(result.published).toBe('2023-11-02T08:15:00.000Z');
    expect(result.byline).toBe('Meta Author');
  });

  it('cuts the site name off <title> when nothing better names the article', () => {
    const result = extractArticle(page('<title>Council approves the new harbour budget | Coastal Courier</title>'));
    expect(result.title).toBe('Council approves the new harbour budget');
  });

  it('keeps the whole <title> when cutting would leave too few words', () => {
    const result = extractArticle(page('<title>Budget | Coastal Courier</title>'));
    expect(result.title).toBe('Budget | Coastal Courier');
  });

  it('reads the publication date from <time> when the head has none', () => {
    const result = extractArticle(
      page('<title>A story with a time element in it</title>', '<article><time datetime="2022-07-14T09:00:00Z">14 July</time></article>'),
    );
    expect(result.published).toBe('2022-07-14T09:00:00.000Z');
  });

  it('leaves out a publication date it cannot read as a date', () => {
    const result = extractArticle(page('<title>A story with a vague date in its meta</title><meta property="article:published_time" content="March 5">'));
    expect(result.published).toBeUndefined();
  });

  it('ignores JSON-LD that is broken or not an article', () => {
    const result = extractArticle(
      page(`<title>The real title of this page</title>
        <script type="application/ld+json">{ not json </script>
        <script type="application/ld+json">{"@context":"https://schema.org","@type":"Organization","name":"Org name"}</script>`),
    );
    expect(result.title).toBe('The real title of this page');
  });

  it('finds the byline in the page when metadata names no author', () => {
    const result = extractArticle(page('<title>A story with a byline in the page</title>', '<p class="byline">By Carla Columnist</p>'));
    expect(result.byline).toBe('By Carla Columnist');
    expect(result.text).not.toContain('Carla Columnist');
  });
});

describe('a byline named by <meta name=author>', () => {
  const head = '<title>A story by a named author</title><meta name="author" content="Olena Kovalenko">';
  const prose = Array.from({ length: 5 }, (_, i) => `<p>Paragraph ${i + 1} of the story, long enough to count, with commas, clauses, and a few more words.</p>`).join('');
  const withByline = (byline: string) => `<!DOCTYPE html><html><head>${head}</head><body><article><h1>A story by a named author</h1>${byline}${prose}</article></body></html>`;

  it('keeps a byline element of the article out of the text', () => {
    const result = extractArticle(withByline('<p class="byline">By Olena Kovalenko</p>'));
    expect(result.byline).toBe('Olena Kovalenko');
    expect(result.text).toMatch(/^Paragraph 1/);
    expect(result.text).not.toContain('Kovalenko');
  });

  it('keeps a paragraph that is only "By" and the name out of the text, without a byline class', () => {
    const result = extractArticle(withByline('<p>By  Olena\nKovalenko</p>'));
    expect(result.text).toMatch(/^Paragraph 1/);
    expect(result.text).not.toContain('Kovalenko');
  });

  it('keeps the name where it is part of the prose', () => {
    const said = '<p>Olena Kovalenko, who wrote the report, said the findings were clear, and that more would follow soon.</p>';
    expect(extractArticle(withByline(said)).text).toContain('Olena Kovalenko, who wrote the report');
  });
});

describe('main content', () => {
  const article = extractArticle(fixture('news-article.html'), { url: 'https://courier.example/news/today/story.html' });

  it('keeps every paragraph of the article, in order', () => {
    const expected = [
      'The harbour bridge reopened to traffic on Tuesday morning',
      'Commuters, cyclists and delivery drivers',
      'Local shop owners',
      'The chief engineer, Maria Lindqvist',
      'Traffic on the bridge is expected',
    ];
    const positions = expected.map((start) => article.text.indexOf(start));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it.each([
    ['navigation', 'Weather'],
    ['share bar', 'Share on Facebook'],
    ['related links', 'Tunnel plan shelved'],
    ['cookie banner', 'We use cookies'],
    ['comments', 'COMMENT-TEXT'],
    ['display:none', 'HIDDEN-STYLE-TEXT'],
    ['hidden attribute', 'HIDDEN-ATTRIBUTE-TEXT'],
    ['aria-hidden', 'ARIA-HIDDEN-TEXT'],
    ['scripts', 'SCRIPT-TEXT'],
    ['styles', 'STYLE-TEXT'],
    ['footer', 'All rights reserved'],
  ])('removes the %s', (_what, marker) => {
    expect(article.text).not.toContain(marker);
    expect(article.html).not.toContain(marker);
  });

  it('keeps equations even when their class names look like a menu', () => {
    const equation =
      '<p>The identity <span class="MathJax CtxtMenu_Attached_0"><math><mi>e</mi><mo>=</mo><mi>mc</mi></math></span> holds, as every physics student learns in the first year.</p>';
    const result = extractArticle(page('<title>Equations are content too</title>', '', equation));
    expect(result.text).toContain('The identity e=mc holds');
  });

  it('turns runs of <br> into paragraphs, keeping single <br>s as line breaks', () => {
    const sentence = (n: number) => `Line ${n} of a letter written with line breaks, commas, and no paragraphs at all`;
    const body = `<div class="content">${sentence(1)}<br><br>${sentence(2)}<br>${sentence(3)}<br> <br>\n<br>${sentence(4)}<br><br></div>`;
    const result = extractArticle(page('<title>A page that uses br for paragraphs</title>').replace(/<div class="content">.*<\/div>/, body));
    // The whitespace between the <br>s of a run stays, at the start of the new paragraph.
    expect(result.html).toBe(`<div><p>${sentence(1)}</p><p>${sentence(2)}<br>${sentence(3)}</p><p> \n${sentence(4)}</p></div>`);
  });

  it('wraps loose text beside blocks in its own paragraph', () => {
    const long = 'Loose text directly inside a div, beside a block element, long enough to be scored as content.';
    const body = `<div class="content">${long} <em>Emphasis too.</em><blockquote>${long}</blockquote>${long}</div>`;
    const result = extractArticle(page('<title>A page with loose text in a div</title>').replace(/<div class="content">.*<\/div>/, body));
    expect(result.html).toBe(`<div><p>${long} <em>Emphasis too.</em></p><blockquote>${long}</blockquote><p>${long}</p></div>`);
  });

  it('drops the heading that repeats the title, and strips classes and styles from the HTML', () => {
    expect(article.text.startsWith('The harbour bridge reopened')).toBe(true);
    expect(article.html).not.toMatch(/class=|style=/);
  });

  it('separates paragraphs with a blank line in the plain text', () => {
    expect(article.text).toContain('a decade.\n\nCommuters');
  });

  it('returns no text and no HTML for a page without an article', () => {
    const result = extractArticle(fixture('no-article.html'));
    expect(result.text).toBe('');
    expect(result.html).toBe('');
    expect(result.title).toBe('Sign in');
  });

  it('copes with an empty document', () => {
    expect(extractArticle('')).toMatchObject({ text: '', html: '' });
  });
});

describe('relative URLs', () => {
  it('resolves links and images against options.url', () => {
    const article = extractArticle(fixture('news-article.html'), { url: 'https://courier.example/news/today/story.html' });
    expect(article.html).toContain('src="https://courier.example/news/today/images/bridge.jpg"');
    expect(article.html).toContain('href="https://courier.example/news/reports/bridge-inspection.pdf"');
  });

  it('resolves against <base href> when the page has one, srcset included', () => {
    const article = extractArticle(fixture('base-element.html'), { url: 'https://blog.example/posts/links.html' });
    expect(article.html).toContain('href="https://blog.example/archive/2023/notes.html"');
    expect(article.html).toContain('href="https://blog.example/about"');
    expect(article.html).toContain('href="https://blog.example/archive/2023/#section-2"');
    expect(article.html).toContain(
      'srcset="https://blog.example/archive/2023/pictures/chart-2x.png 2x, https://blog.example/archive/2023/pictures/chart-3x.png 3x"',
    );
  });

  it('keeps in-page anchors as they are when there is no <base>', () => {
    const article = extractArticle(page('<title>Anchors stay where they are</title>', '', '<p>See <a href="#notes">the notes below</a>, which explain the method in more detail than here.</p>'), {
      url: 'https://blog.example/a.html',
    });
    expect(article.html).toContain('href="#notes"');
  });

  it('turns javascript: links into their text', () => {
    const article = extractArticle(fixture('base-element.html'), { url: 'https://blog.example/posts/links.html' });
    expect(article.html).not.toContain('javascript:');
    expect(article.text).toContain('a script link');
  });

  it('leaves relative URLs alone when there is nothing to resolve them against', () => {
    const article = extractArticle(fixture('news-article.html'));
    expect(article.html).toContain('src="images/bridge.jpg"');
    expect(article.canonicalUrl).toBeUndefined();
  });
});

describe('broken text', () => {
  it('reads unpaired UTF-16 surrogates as U+FFFD (two in a row made parse5 throw; found by fuzzing, issue 13)', () => {
    const article = extractArticle(page('<title>T</title>', '', '<p>Broken \udc00\udc00 text and a 😀 kept whole, long enough to be read with the rest of it.</p>'));
    expect(article.text).toContain('Broken \ufffd\ufffd text');
    expect(article.text).toContain('😀');
  });
});
