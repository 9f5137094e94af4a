// Generated news for the pipeline benchmark and the soak: feeds whose items are made of real
// sentences from the shared corpus (so matching, stemming and story dedup see real language),
// identical on every run (seeded by feed, generation and item), plus the article pages behind
// them and a rule set calibrated to a fixed share of matching articles.
//
// A feed has a generation: each generation is a fresh set of items (as a feed that moved on),
// so a second round over the same feeds measures a warm worker on new work.

import { RuleIndex, prepareArticle, type RuleSpec } from '../../src/match/index.js';
import { englishTexts, generateRules, rng, vocabulary } from './corpus.js';

export interface NewsItem {
  feed: number;
  gen: number;
  index: number;
  title: string;
  summary: string;
  paragraphs: string[];
  /** When not undefined: this item is a syndicated copy of another feed's item. */
  copyOf?: { feed: number; index: number };
}

export interface NewsOptions {
  itemsPerFeed: number;
  /** Share of items that repeat another feed's item of the same generation (wire copy)… */
  copyShare: number;
  /** … among the feeds numbered below this; feeds from here on carry only stories of their own. */
  copyFeeds: number;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export class News {
  private readonly sentences: string[];
  /** Rule vocabulary comes from other pages than the items, as rule authors don't know the articles. */
  readonly vocabulary: ReturnType<typeof vocabulary>;

  constructor(readonly options: NewsOptions) {
    const texts = englishTexts();
    if (texts.length === 0) throw new Error('no corpus texts found: set NEWSWATCH_CORPORA to the shared corpora folder');
    const sentences = texts
      .filter((_, i) => i % 2 === 0)
      .flatMap((t) => t.split(/(?<=[.!?])\s+(?=[A-Z"“])/))
      .map((s) => s.replace(/\s+/g, ' ').trim())
      .filter((s) => s.length >= 40 && s.split(' ').length <= 25 && !/\^|Retrieved|Archived|ISBN|\(PDF\)|https?:|www\./.test(s)); // prose, not reference lists
    this.sentences = [...new Set(sentences)];
    this.vocabulary = vocabulary(texts.filter((_, i) => i % 2 === 1));
  }

  item(feed: number, gen: number, index: number): NewsItem {
    const rand = rng(((feed * 7919 + gen) * 104_729 + index) | 0);
    if (feed > 0 && feed < this.options.copyFeeds && rand() < this.options.copyShare) {
      const from = Math.floor(rand() * feed);
      const original = this.item(from, gen, index);
      if (!original.copyOf) return { ...original, feed, index, copyOf: { feed: from, index } };
    }
    // The corpus has a few thousand sentences: spliced in halves they give millions, so that
    // two items rarely share the lead a story is recognised by, while staying real language.
    const half = (first: boolean) => {
      const words = this.sentences[Math.floor(rand() * this.sentences.length)]!.split(' ');
      const mid = words.length >> 1;
      return (first ? words.slice(0, mid) : words.slice(mid)).join(' ');
    };
    const sentence = () => `${half(true)} ${half(false)}`;
    const words = sentence().split(' ');
    const title = words.slice(0, Math.min(words.length, 6 + Math.floor(rand() * 7))).join(' ').replace(/[,;:]$/, '');
    const summary = `${sentence()} ${sentence()}`;
    const paragraphs = Array.from({ length: 5 + Math.floor(rand() * 4) }, () => `${sentence()} ${sentence()} ${sentence()}`);
    return { feed, gen, index, title, summary, paragraphs };
  }

  /** A feed's items: generation `gen`, indexes from `first` on, the highest (newest) first. */
  items(feed: number, gen: number, first = 0): NewsItem[] {
    const n = this.options.itemsPerFeed;
    return Array.from({ length: n }, (_, i) => this.item(feed, gen, first + n - 1 - i));
  }

  /**
   * RSS 2.0 with description and content:encoded of the items (newest first), dated a minute
   * apart. As real feeds write them: the description is HTML (a paragraph, emphasis, a link,
   * entities, escaped into the XML), apostrophes in the content are entities, and every fourth
   * feed does not say its language (so it is detected); the words stay those of the item.
   */
  rss(base: string, feed: number, list: NewsItem[], now: number): string {
    const items = list.map((it, position) => {
      const link = pageUrl(base, it);
      const date = new Date(now - position * 60_000).toUTCString();
      const content = it.paragraphs.map((p) => `<p>${esc(p).replace(/'/g, '&#8217;')}</p>`).join('');
      return `<item><title>${esc(it.title)}</title><link>${link}</link><guid isPermaLink="true">${link}</guid><pubDate>${date}</pubDate><description>${esc(summaryHtml(it.summary, link))}</description><content:encoded><![CDATA[${content}]]></content:encoded></item>`;
    });
    const language = feed % 4 === 3 ? '' : '<language>en</language>';
    return `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Bench feed ${feed}</title><link>${base}/</link><description>Generated news</description>${language}${items.join('')}</channel></rss>`;
  }

  /** An article page of about 20 KB: the story amid navigation, teasers and a footer, as news sites are. */
  page(it: NewsItem): string {
    const rand = rng(it.feed * 31 + it.index);
    const teaser = () => this.sentences[Math.floor(rand() * this.sentences.length)]!;
    const nav = Array.from({ length: 40 }, (_, i) => `<li><a href="/section/${i}">Section ${i}</a></li>`).join('');
    const related = Array.from({ length: 30 }, (_, i) => `<li><a href="/related/${i}">${esc(teaser())}</a></li>`).join('');
    const body = it.paragraphs.map((p) => `<p>${esc(p)}</p>`).join('\n');
    const filler = `<div class="ads" style="display:none">${'<span class="slot"></span>'.repeat(150)}</div>`;
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(it.title)}</title><meta property="og:title" content="${esc(it.title)}"><script>window.__state=${JSON.stringify({ id: it.index, tags: ['news'] })}</script></head><body><header><nav><ul>${nav}</ul></nav></header><main><article><h1>${esc(it.title)}</h1><p class="lede">${esc(it.summary)}</p>${body}</article><aside><h2>Related</h2><ul>${related}</ul></aside></main>${filler}<footer><p>© Bench News. All rights reserved.</p></footer></body></html>`;
  }

  /**
   * `count` rules of the bench:match mix whose union matches at most `rate` of the given items
   * (feed text: title, summary, content): candidates are taken in order and a rule that would push
   * the share of matched items over `rate` is left out. Returns the rules and the share reached.
   */
  calibratedRules(count: number, rate: number, sample: NewsItem[]): { rules: RuleSpec[]; rate: number } {
    const candidates = generateRules(count * 3, this.vocabulary);
    const index = RuleIndex.build(candidates);
    const matchedBy = new Map<string, Set<number>>();
    sample.forEach((it, i) => {
      const input = { id: String(i), title: it.title, summary: it.summary, content: it.paragraphs.join('\n\n'), feed: `f${it.feed}`, language: 'en' };
      for (const m of index.match(prepareArticle(input))) {
        let set = matchedBy.get(m.rule);
        if (!set) matchedBy.set(m.rule, (set = new Set()));
        set.add(i);
      }
    });
    const matched = new Set<number>();
    const rules: RuleSpec[] = [];
    const limit = Math.floor(rate * sample.length);
    for (const rule of candidates) {
      if (rules.length === count) break;
      const hits = matchedBy.get(rule.id) ?? new Set<number>();
      const added = [...hits].filter((i) => !matched.has(i));
      if (matched.size + added.length > limit) continue;
      for (const i of added) matched.add(i);
      rules.push(rule);
    }
    return { rules, rate: matched.size / sample.length };
  }
}

/** A summary as an HTML description: its first word in bold, the last a link, a no-break space and ’ entities between. */
function summaryHtml(summary: string, link: string): string {
  const words = summary.split(' ');
  if (words.length < 3) return `<p>${esc(summary)}</p>`;
  const middle = esc(words.slice(1, -1).join(' ')).replace(/'/g, '&rsquo;');
  return `<p><b>${esc(words[0]!)}</b> ${middle}&nbsp;<a href="${link}">${esc(words.at(-1)!)}</a></p>`;
}

export const pageUrl = (base: string, it: { feed: number; gen: number; index: number }) => `${base}/p/${it.feed}/${it.gen}/${it.index}`;

/** The item a delivered text names by its page URL, as "feed/gen/index"; undefined when none. */
export function itemKeyIn(text: string): string | undefined {
  const m = /\/p\/(\d+)\/(\d+)\/(\d+)/.exec(text);
  return m ? `${m[1]}/${m[2]}/${m[3]}` : undefined;
}
