// Benchmark of the matcher (issue 5): article preparation, matching with and without the rule
// index, and a hand-written regex matcher, at 100 to 100,000 generated rules over ~5 KB English
// news texts from the shared readability corpus. Run with `npm run bench:match`; one run prints
// per-article medians and p95s, rules evaluated, build time, memory and the ratios vs targets.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'cheerio';
import { newStemmer } from 'snowball-stemmers';
import { compileRule, parseQuery, prepareArticle, RuleIndex, WordFrequencies, type MatchStats, type QueryNode, type RuleSpec } from '../src/match/index.js';

const CORPUS = process.env.NEWSWATCH_CORPORA ?? join(import.meta.dirname, '../../shared/corpora');
const SIZES = (process.env.BENCH_SIZES ?? '100,1000,10000,100000').split(',').map(Number);
const ARTICLE_BYTES = 5000;
const MAX_ARTICLES = 50;
// Before a matcher is timed (index, no index, naive regexes alike) it runs untimed over the
// articles for at least this long: V8 optimises code only after some hundreds of calls, and a
// running worker makes millions. Without it, whichever matcher is timed first runs partly on
// unoptimised code and the ratios swing between runs. Article preparation keeps the original
// cold measurement on both sides (bare split and prepareArticle).
const MATCH_WARM_MS = Number(process.env.BENCH_WARM_MS ?? 300);

// ---------------------------------------------------------------------------------------------
// Seeded randomness, so every run generates the same rules.
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(5);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const chance = (p: number) => rand() < p;
const between = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

// ---------------------------------------------------------------------------------------------
// Articles: English pages of the readability corpus, as plain text cut into ~5 KB pieces.
function englishTexts(): string[] {
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
function feedTexts(): string[] {
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

function cutArticles(texts: string[], max = MAX_ARTICLES): string[] {
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
const TOPIC_SEEN = Number(process.env.BENCH_TOPIC_SEEN ?? 0.25);
const STOP = new Set('the of and to a in is that for it on was with as by he at from his an be this are have has not but or they had which were their its been you we she her will would who there one all more also said can than so what when if about into up out them no only just do like other some these could after our over my most new two any'.split(' '));

function vocabulary(texts: string[]) {
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
function name(): string {
  const n = between(2, 4);
  let s = '';
  for (let i = 0; i < n; i++) s += pick(SYLLABLES);
  return s;
}

function zipf(n: number, s = 1, random = rand): () => number {
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

function generateRules(count: number, vocab: ReturnType<typeof vocabulary>): RuleSpec[] {
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

// ---------------------------------------------------------------------------------------------
// The hand-written matcher users write without this product: each rule as a boolean
// combination of case-insensitive regexes over the raw text.
type Naive = (a: { title: string; content: string; url: string }) => boolean;

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function naiveRule(node: QueryNode): Naive {
  const text = (f: string) => (a: { title: string; content: string }) => (f === 'title' ? a.title : f === 'content' ? a.content : `${a.title}\n${a.content}`);
  const leaf = (src: string, field = ''): Naive => {
    const re = new RegExp(src, 'i');
    const get = text(field);
    return (a) => re.test(get(a));
  };
  const pattern = (n: QueryNode): string => {
    switch (n.type) {
      case 'term':
        return `\\b${esc(n.text)}\\b`;
      case 'phrase':
        return `\\b${n.text.slice(1, -1).split(' ').map(esc).join('\\s+')}\\b`;
      case 'prefix':
        return `\\b${esc(n.prefix)}\\w*`;
      case 'or':
        return `(?:${n.children.map(pattern).join('|')})`;
      default:
        return `\\b${esc(n.type)}\\b`;
    }
  };
  switch (node.type) {
    case 'term':
    case 'phrase':
    case 'prefix':
      return leaf(pattern(node));
    case 'regex':
      return leaf(node.source);
    case 'field':
      return leaf(pattern(node.child), node.field);
    case 'meta':
      return node.field === 'site' ? (a) => a.url.includes(node.value) : () => false;
    case 'near': {
      const [x, y] = node.children.map(pattern);
      const gap = `\\W+(?:\\w+\\W+){0,${node.distance}}?`;
      return leaf(`${x}${gap}${y}|${y}${gap}${x}`);
    }
    case 'not': {
      const c = naiveRule(node.child);
      return (a) => !c(a);
    }
    case 'and': {
      const cs = node.children.map(naiveRule);
      return (a) => cs.every((c) => c(a));
    }
    case 'or': {
      const cs = node.children.map(naiveRule);
      return (a) => cs.some((c) => c(a));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Measurement helpers.
function time(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}
function stats(ms: number[]): { median: number; p95: number } {
  const s = [...ms].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, p95: s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)]! };
}
const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));
const ms = (s: { median: number; p95: number }) => `${fmt(s.median)} / ${fmt(s.p95)}`;
const gc = (globalThis as { gc?: () => void }).gc;
function heapMB(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

/**
 * Repeats fn over the articles `rounds` times and keeps each article's fastest time, after
 * untimed rounds for at least `warmMs` (at least one round when warmMs > 0).
 */
function perArticle<T>(articles: T[], rounds: number, fn: (a: T) => void, warmMs = 0): number[] {
  const until = performance.now() + warmMs;
  if (warmMs > 0) do articles.forEach((a) => fn(a)); while (performance.now() < until);
  const best = articles.map(() => Infinity);
  for (let r = 0; r < rounds; r++) articles.forEach((a, i) => (best[i] = Math.min(best[i]!, time(() => fn(a)))));
  return best;
}


// ---------------------------------------------------------------------------------------------
// Regex rules (issue 13): users' own regular expressions, as people write them for spellings
// (`/cease-?fire/`), word beginnings, numbers and variants. Timed through the index (literals
// select them) and by evaluating every one on every article.
const REGEX_RULES = 1000;

function regexRules(count: number, vocab: ReturnType<typeof vocabulary>): RuleSpec[] {
  // Own random stream: the same rules whatever BENCH_SIZES drew before.
  const r = rng(13);
  const rare = zipf(vocab.rare.length, 1, r);
  const word = () => (r() < 0.5 ? vocab.common[Math.floor(r() * 300)]! : vocab.rare[rare()]!).replace(/[^a-z]/g, '') || 'war';
  const shapes = [
    () => `/${word()}s?/`,
    () => `/\\b${word().slice(0, 5)}\\w*/`,
    () => `/${word()}[- ]?${word()}/`,
    () => `/(?:${word()}|${word()}) ${word()}/`,
    () => `/\\d+ ${word()}/`,
    () => `title:/^${word()}/`,
    () => `/${word()}/ ${word()}`,
    () => `/(?:${word()}|${word()})s?/`, // no literal: evaluated on every article
  ];
  return Array.from({ length: count }, (_, i) => ({ id: `re-${i}`, query: shapes[Math.floor(r() * shapes.length)]!() }));
}

function regexBench(vocab: ReturnType<typeof vocabulary>, prepared: ReturnType<typeof prepareArticle>[]): void {
  const specs = regexRules(REGEX_RULES, vocab);
  let index!: RuleIndex;
  const build = time(() => (index = RuleIndex.build(specs)));
  const rules = index.rules;
  const evalAll = (d: (typeof prepared)[number]) => {
    for (const r of rules) if (r.matcher.test(d)) r.matcher.explain(d, []);
  };
  const s: MatchStats = { candidates: 0, evaluated: 0, matched: 0 };
  const evaluated: number[] = [];
  let matched = 0;
  for (const d of prepared) {
    index.match(d, s);
    evaluated.push(s.evaluated);
    matched += s.matched;
  }
  const withIndex = stats(perArticle(prepared, 5, (d) => void index.match(d), MATCH_WARM_MS));
  const noIndex = stats(perArticle(prepared, 3, evalAll, MATCH_WARM_MS));
  console.log(`\nregex rules: ${REGEX_RULES} (${index.alwaysChecked} without a literal), build ${fmt(build)} ms, evaluated/article ${stats(evaluated).median}, matches/article ${(matched / prepared.length).toFixed(1)}`);
  console.log(`  index match: ${ms(withIndex)} ms per article (median / p95); every regex rule evaluated: ${ms(noIndex)} ms`);
}

// ---------------------------------------------------------------------------------------------
function main(): void {
  // Rule words come from other texts than the articles matched: rule authors' vocabulary does
  // not know the articles, as in production. Every other page goes to each side.
  const texts = englishTexts();
  const contents = cutArticles(texts.filter((_, i) => i % 2 === 0));
  const vocabTexts = [...texts.filter((_, i) => i % 2 === 1), ...feedTexts()];
  const vocab = vocabulary(vocabTexts);
  // Word frequencies as a worker would measure them on recent articles (not the ones matched).
  const frequencies = WordFrequencies.measure(cutArticles(vocabTexts, 200).map((content, i) => prepareArticle({ id: `f${i}`, content, language: 'en' })));
  const inputs = contents.map((content, i) => ({ id: `a${i}`, title: content.slice(0, content.indexOf(' ', 60)), content, url: i % 7 === 0 ? 'https://www.bbc.co.uk/news/x' : 'https://example.org/x', feed: i % 3 ? 'world' : 'tech', language: 'en' }));
  const avgBytes = contents.reduce((s, c) => s + c.length, 0) / contents.length;
  console.log(`rule topics seen in the corpus: ${TOPIC_SEEN} (BENCH_TOPIC_SEEN)`);
  console.log(`articles: ${inputs.length}, mean ${avgBytes.toFixed(0)} chars; vocabulary ${vocab.common.length} common + ${vocab.rare.length} rare words, ${vocab.phrases.length} phrases; node ${process.version}; matchers timed after ≥ ${MATCH_WARM_MS} ms untimed; gc ${gc ? 'exposed' : 'not exposed (memory is approximate)'}`);

  // Preparation against a bare lower-case split of the same text.
  const split = stats(perArticle(inputs, 5, (a) => void `${a.title}\n${a.content}`.toLowerCase().split(/[^\p{L}\p{N}]+/u)));
  prepareArticle(inputs[0]!); // warm the caches as a running worker has them
  for (const a of inputs) prepareArticle(a);
  const prep = stats(perArticle(inputs, 5, (a) => void prepareArticle(a)));
  const segmenter = new Intl.Segmenter('en', { granularity: 'word' });
  const stemmer = newStemmer('english');
  const naivePrep = stats(perArticle(inputs.slice(0, 10), 2, (a) => {
    for (const s of segmenter.segment(`${a.title}\n${a.content}`)) if (s.isWordLike) stemmer.stem(s.segment.toLowerCase());
  }));
  console.log(`\nper article, median / p95 in ms`);
  console.log(`  bare toLowerCase().split(): ${ms(split)}`);
  console.log(`  Intl.Segmenter + uncached stemming (reference): ${ms(naivePrep)}`);
  console.log(`  prepareArticle: ${ms(prep)}   ratio to split ${(prep.median / split.median).toFixed(2)} (target ≤ 4)`);

  const prepared = inputs.map(prepareArticle);
  const naiveInputs = inputs.map((a) => ({ title: a.title, content: a.content, url: a.url }));
  const rows: Array<Record<string, number | string>> = [];
  const totals = new Map<number, { total: number; naive?: number; index: number; noIndex: number }>();
  for (const size of SIZES) {
    const specs = generateRules(size, vocab);
    let index!: RuleIndex;
    const before = heapMB();
    const build = time(() => (index = RuleIndex.build(specs, { frequencies })));
    const memory = heapMB() - before;
    // Without the index: every rule's compiled query on the prepared article.
    const rules = index.rules;
    const evalAll = (d: (typeof prepared)[number]) => {
      for (const r of rules) if (r.matcher.test(d)) r.matcher.explain(d, []);
    };
    const noIndexArticles = size >= 100_000 ? prepared.slice(0, 15) : prepared;
    const noIndex = stats(perArticle(noIndexArticles, size >= 100_000 ? 2 : 3, evalAll, MATCH_WARM_MS));
    const evaluated: number[] = [];
    const matched: number[] = [];
    const s: MatchStats = { candidates: 0, evaluated: 0, matched: 0 };
    for (const d of prepared) {
      index.match(d, s);
      evaluated.push(s.evaluated);
      matched.push(s.matched);
    }
    const withIndex = stats(perArticle(prepared, 5, (d) => void index.match(d), MATCH_WARM_MS));
    const total = stats(perArticle(inputs, 3, (a) => void index.match(prepareArticle(a)), MATCH_WARM_MS));
    // The hand-written regex matcher: fewer articles at large sizes, it is slow.
    let naive: { median: number; p95: number } | undefined;
    if (size <= 10_000 || process.env.BENCH_NAIVE_100K) {
      const naiveRules = specs.map((r) => naiveRule(parseQuery(r.query!)));
      const arts = naiveInputs.slice(0, size >= 10_000 ? 8 : 30);
      naive = stats(perArticle(arts, 1, (a) => naiveRules.forEach((f) => f(a)), MATCH_WARM_MS));
    }
    const ev = stats(evaluated);
    rows.push({
      rules: size,
      'build s': (build / 1000).toFixed(2),
      'index MB': memory.toFixed(0),
      'always-checked': index.alwaysChecked,
      'evaluated/article (median, p95)': `${ev.median} / ${ev.p95}`,
      'matches/article': (matched.reduce((x, y) => x + y, 0) / matched.length).toFixed(1),
      'match rate %': ((100 * matched.reduce((x, y) => x + y, 0)) / matched.length / size).toFixed(3),
      'index match ms': ms(withIndex),
      'no-index ms': ms(noIndex),
      'prepare+index ms': ms(total),
      'naive regex ms': naive ? ms(naive) : 'skipped',
    });
    totals.set(size, { total: total.median, index: withIndex.median, noIndex: noIndex.median, ...(naive ? { naive: naive.median } : {}) });
    compileRule({ id: 'keep', query: 'x' }); // keep the compiler warm between sizes
  }
  console.table(rows);
  regexBench(vocab, prepared);

  const t = (n: number) => totals.get(n);
  const check = (label: string, value: number | undefined, target: string, ok: (v: number) => boolean) =>
    console.log(`  ${label}: ${value === undefined ? 'n/a' : value.toFixed(2)} (target ${target}) ${value === undefined ? '' : ok(value) ? 'MET' : 'NOT MET'}`);
  console.log('\ntargets');
  check('prepare / bare split', prep.median / split.median, '≤ 4', (v) => v <= 4);
  check('no-index / index evaluation at 10k', t(10_000) && t(10_000)!.noIndex / t(10_000)!.index, '≥ 20', (v) => v >= 20);
  check('no-index / index evaluation at 100k', t(100_000) && t(100_000)!.noIndex / t(100_000)!.index, '≥ 100', (v) => v >= 100);
  check('total at 100k / total at 100', t(100_000) && t(100) && t(100_000)!.total / t(100)!.total, '≤ 5', (v) => v <= 5);
  check('naive regex / total at 10k', t(10_000)?.naive && t(10_000)!.naive! / t(10_000)!.total, '≥ 20', (v) => v >= 20);
  const last = rows.find((r) => r.rules === 100_000);
  if (last) console.log(`  build 100k: ${last['build s']} s (target < 10 s), index memory ${last['index MB']} MB (target < 500 MB)`);
}

main();
