// Text and rules for the benchmarks, generated the same way on every run (seeded): news texts
// from the shared readability corpus, the vocabulary they use, and watch rules drawn from it the
// way people write them (bench:match explains the mix; bench:pipeline calibrates it).
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { load } from 'cheerio';
import type { RuleSpec } from '../../src/match/index.js';

/** NEWSWATCH_CORPORA, else the nearest shared/corpora beside the repository or one of its parents (worktrees). */
export const CORPUS = process.env.NEWSWATCH_CORPORA ?? nearestCorpora(join(import.meta.dirname, '../..'));

function nearestCorpora(repo: string): string {
  for (let dir = resolve(repo, '..'); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'shared', 'corpora'))) return join(dir, 'shared', 'corpora');
    if (dirname(dir) === dir) return join(repo, '..', 'shared', 'corpora');
  }
}
export const ARTICLE_BYTES = 5000;
const MAX_ARTICLES = 50;

// ---------------------------------------------------------------------------------------------
// Seeded randomness, so every run generates the same rules.
export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
export const rand = rng(5);
export const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
export const chance = (p: number) => rand() < p;
export const between = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

// ---------------------------------------------------------------------------------------------
// Articles: English pages of the readability corpus, as plain text cut into ~5 KB pieces.
export function englishTexts(): string[] {
  const dir = join(CORPUS, 'readability');
  const texts: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const meta = join(dir, name, 'expected-metadata.json');
    if (!existsSync(meta)) continue;
    const lang = (JSON.parse(readFileSync(meta, 'utf8')) as { lang?: string }).lang ?? '';
    if (!lang.toLowerCase().startsWith('en')) continue;
    const $ = load(readFileSync(join(dir, name, 'expected.html'), 'utf8'));
    const paragraphs = $('p, li, h1, h2, h3, blockquote')
      .map((_, el) => $(el).text().replace(/\s+/g, ' ').trim())
      .get()
      .filter((p) => p.length > 40);
    texts.push(paragraphs.join('\n\n'));
  }
  const seed = join(CORPUS, 'seed', 'rubio-lavrov-2025-07-11.txt');
  if (existsSync(seed)) texts.push(readFileSync(seed, 'utf8'));
  return texts;
}

/** Item texts of the English news feeds of the feeds corpus (vocabulary only). */
export function feedTexts(): string[] {
  const out: string[] = [];
  for (const name of ['guardian.rss', 'heraldsun.rss']) {
    const file = join(CORPUS, 'feeds', 'rss-parser', 'input', name);
    if (!existsSync(file)) continue;
    const $ = load(readFileSync(file, 'utf8'), { xml: true });
    $('item').each((_, item) => {
      out.push(load($(item).find('title').text() + '. ' + $(item).find('description').text()).text());
    });
  }
  return out;
}

export function cutArticles(texts: string[], max = MAX_ARTICLES): string[] {
  const out: string[] = [];
  for (const t of texts) {
    for (let at = 0; at + ARTICLE_BYTES * 0.8 <= t.length && out.length < max; ) {
      let end = Math.min(t.length, at + ARTICLE_BYTES);
      const space = t.lastIndexOf(' ', end);
      if (end < t.length && space > at) end = space;
      out.push(t.slice(at, end));
      at = end + 1;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Rules: news vocabulary ranked by frequency in the corpus; terms drawn with a Zipf spread over
// the ranks after the function words, phrases from real bigrams, and the operators of the language.
// Rule words: the topic of a rule (its first word, phrase or NEAR) comes from the long tail of
// the vocabulary (names, subjects: in few articles); the other terms are drawn from the 1,500 most
// frequent content words (in many articles) with probability COMMON_SHARE, else from the tail;
// each band Zipf-distributed. A watch rule is meant to alert, so it matches a small share of all
// news; the table prints matches per article so the selectivity can be judged.
// Real rule sets name far more subjects (people, companies, places) than our small corpus holds,
// and most are absent from any given article: a topic is a corpus word or phrase with
// probability TOPIC_SEEN, else a made-up name that no article contains.
const COMMON_WORDS = 1500;
const COMMON_SHARE = 0.4;
export const TOPIC_SEEN = Number(process.env.BENCH_TOPIC_SEEN ?? 0.25);
const STOP = new Set('the of and to a in is that for it on was with as by he at from his an be this are have has not but or they had which were their its been you we she her will would who there one all more also said can than so what when if about into up out them no only just do like other some these could after our over my most new two any'.split(' '));

export function vocabulary(texts: string[]) {
  const freq = new Map<string, number>();
  const bigrams = new Map<string, number>();
  for (const t of texts) {
    const words = t.toLowerCase().match(/[a-z][a-z'-]*[a-z]/g) ?? [];
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      freq.set(w, (freq.get(w) ?? 0) + 1);
      const n = words[i + 1];
      if (n && !STOP.has(w) && !STOP.has(n) && !/['-]/.test(w + n)) bigrams.set(`${w} ${n}`, (bigrams.get(`${w} ${n}`) ?? 0) + 1);
    }
  }
  const ranked = [...freq.entries()].filter(([w]) => !STOP.has(w) && w.length > 2 && !w.includes("'")).sort((a, b) => b[1] - a[1]).map(([w]) => w);
  const phrases = [...bigrams.entries()].sort((a, b) => b[1] - a[1]).map(([p]) => p);
  return { common: ranked.slice(0, COMMON_WORDS), rare: ranked.slice(COMMON_WORDS), phrases };
}

const SYLLABLES = ['ka', 'lo', 'mer', 'vi', 'dra', 'sen', 'tor', 'bel', 'qu', 'zan', 'rix', 'mo', 'tel', 'gra', 'pho', 'len', 'sky', 'vor', 'an', 'eth'];

/** A made-up name ("Velmorix"): a subject of a rule that no article mentions. */
export function name(): string {
  const n = between(2, 4);
  let s = '';
  for (let i = 0; i < n; i++) s += pick(SYLLABLES);
  return s;
}

export function zipf(n: number, s = 1, random = rand): () => number {
  const cdf: number[] = [];
  let sum = 0;
  for (let r = 1; r <= n; r++) cdf.push((sum += 1 / r ** s));
  return () => {
    const x = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export function generateRules(count: number, vocab: ReturnType<typeof vocabulary>): RuleSpec[] {
  const commonRank = zipf(vocab.common.length);
  const rareRank = zipf(vocab.rare.length);
  const rare = () => vocab.rare[rareRank()]!;
  const word = () => (chance(COMMON_SHARE) ? vocab.common[commonRank()]! : rare());
  const topPhrases = Math.min(300, vocab.phrases.length);
  const phraseRank = zipf(topPhrases);
  const rarePhrases = vocab.phrases.slice(topPhrases);
  const phrase = () => `"${chance(COMMON_SHARE) ? vocab.phrases[phraseRank()]! : pick(rarePhrases)}"`;
  const long = [...vocab.common, ...vocab.rare.slice(0, 5000)].filter((x) => x.length >= 7 && /^[a-z]+$/.test(x));
  const prefix = () => `${pick(long).slice(0, between(4, 6))}*`;
  const positional = () => (chance(0.2) ? phrase() : chance(0.1) ? prefix() : word());
  const rules: RuleSpec[] = [];
  for (let i = 0; i < count; i++) {
    // The topic: a word, a phrase or two words near each other; then qualifiers up to 2-8 terms.
    const terms = between(2, 8);
    const r0 = rand();
    const topicWord = () => (chance(TOPIC_SEEN) ? rare() : name());
    const parts = [r0 < 0.6 ? topicWord() : r0 < 0.85 ? (chance(TOPIC_SEEN) ? `"${pick(rarePhrases)}"` : `"${name()} ${name()}"`) : `${topicWord()} NEAR/${between(2, 10)} ${positional()}`];
    let used = r0 < 0.85 ? 1 : 2;
    while (used < terms) {
      const left = terms - used;
      const r = rand();
      if (r < 0.4) {
        parts.push(word());
        used++;
      } else if (r < 0.6 && left >= 2) {
        const n = Math.min(left, between(2, 4));
        parts.push(`(${Array.from({ length: n }, positional).join(' OR ')})`);
        used += n;
      } else if (r < 0.68) {
        parts.push(phrase());
        used++;
      } else if (r < 0.74) {
        parts.push(prefix());
        used++;
      } else if (r < 0.86) {
        parts.push(`-${chance(0.3) ? phrase() : word()}`);
        used++;
      } else if (r < 0.92 && left >= 2) {
        parts.push(`${positional()} NEAR/${between(2, 10)} ${positional()}`);
        used += 2;
      } else if (r < 0.97) {
        parts.push(`${pick(['title:', 'summary:', 'content:'])}${word()}`);
        used++;
      } else {
        parts.push(pick(['site:bbc.co.uk', 'site:nytimes.com', 'feed:world', 'feed:tech', 'lang:en', 'lang:fr']));
        used++;
      }
    }
    // A few rules the index cannot use: a regular expression.
    if (chance(0.0005)) parts.splice(0, parts.length, `/${vocab.rare[rareRank()]!}s?/`);
    rules.push({ id: `rule-${i}`, query: parts.join(' ') });
  }
  return rules;
}
