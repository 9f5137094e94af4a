// Benchmark of the matcher (issue 5): article preparation, matching with and without the rule
// index, and a hand-written regex matcher, at 100 to 100,000 generated rules over ~5 KB English
// news texts from the shared readability corpus. Run with `npm run bench:match`; one run prints
// per-article medians and p95s, rules evaluated, build time, memory and the ratios vs targets.
import { newStemmer } from 'snowball-stemmers';
import { compileRule, parseQuery, prepareArticle, RuleIndex, WordFrequencies, type MatchStats, type QueryNode, type RuleSpec } from '../src/match/index.js';
import { cutArticles, englishTexts, feedTexts, generateRules, rng, TOPIC_SEEN, vocabulary, zipf } from './lib/corpus.js';

const SIZES = (process.env.BENCH_SIZES ?? '100,1000,10000,100000').split(',').map(Number);
// Before a matcher is timed (index, no index, naive regexes alike) it runs untimed over the
// articles for at least this long: V8 optimises code only after some hundreds of calls, and a
// running worker makes millions. Without it, whichever matcher is timed first runs partly on
// unoptimised code and the ratios swing between runs. Article preparation keeps the original
// cold measurement on both sides (bare split and prepareArticle).
const MATCH_WARM_MS = Number(process.env.BENCH_WARM_MS ?? 300);

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

/**
 * Times single changes to a built index that has matched articles, so that its word tables
 * exist and an add must enter new words into them (issue 10). Cold: the first add (a new rule)
 * and the first remove of the process, before V8 has optimised either. Warm: `n` rules spread
 * over the set removed, added back (as new rules, so last in the order) and updated to another
 * rule's query, and `n` new rules added and removed again. The index ends with the same rules.
 */
function changeTimes(index: RuleIndex, specs: RuleSpec[], fresh: RuleSpec[], n = 200) {
  const cold = { add: time(() => index.add(fresh[0]!)), remove: time(() => index.remove(specs[0]!.id)) };
  index.remove(fresh[0]!.id);
  index.add(specs[0]!);
  const add: number[] = [];
  const remove: number[] = [];
  const update: number[] = [];
  for (let k = 0; k < n; k++) {
    const at = Math.floor((k * specs.length) / n);
    const spec = specs[at]!;
    remove.push(time(() => index.remove(spec.id)));
    add.push(time(() => index.add(spec)));
    const other = specs[(at + 1) % specs.length]!;
    update.push(time(() => index.add({ ...other, id: spec.id })));
    index.add(spec);
    const rule = fresh[1 + (k % (fresh.length - 1))]!;
    add.push(time(() => index.add(rule)));
    remove.push(time(() => index.remove(rule.id)));
  }
  return { cold, add: stats(add), remove: stats(remove), update: stats(update) };
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
  // Words are prepared on first use (`count` asks for them), as any word rule does.
  const prepareWords = (a: (typeof inputs)[number]) => prepareArticle(a).count;
  prepareWords(inputs[0]!); // warm the caches as a running worker has them
  for (const a of inputs) prepareWords(a);
  const prep = stats(perArticle(inputs, 5, (a) => void prepareWords(a)));
  const segmenter = new Intl.Segmenter('en', { granularity: 'word' });
  const stemmer = newStemmer('english');
  const naivePrep = stats(perArticle(inputs.slice(0, 10), 2, (a) => {
    for (const s of segmenter.segment(`${a.title}\n${a.content}`)) if (s.isWordLike) stemmer.stem(s.segment.toLowerCase());
  }));
  console.log(`\nper article, median / p95 in ms`);
  console.log(`  bare toLowerCase().split(): ${ms(split)}`);
  console.log(`  Intl.Segmenter + uncached stemming (reference): ${ms(naivePrep)}`);
  console.log(`  prepareArticle: ${ms(prep)}   ratio to split ${(prep.median / split.median).toFixed(2)} (target ≤ 4)`);

  const prepared = inputs.map((a) => {
    const d = prepareArticle(a);
    void d.count;
    return d;
  });
  const naiveInputs = inputs.map((a) => ({ title: a.title, content: a.content, url: a.url }));
  const rows: Array<Record<string, number | string>> = [];
  type Timing = { median: number; p95: number };
  const totals = new Map<number, { total: number; naive?: number; index: number; noIndex: number; cold: { add: number; remove: number }; add: Timing; remove: Timing; update: Timing; memory: number }>();
  // Rules that are not in any index, for adds of new rules (new ids, words new to the index).
  const fresh = generateRules(201, vocab).map((r, i) => ({ ...r, id: `new-${i}` }));
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
    // Memory again, now that matching has built the word tables.
    const memoryUsed = heapMB() - before;
    const changes = changeTimes(index, specs, fresh);
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
      'index MB': `${memory.toFixed(0)} / ${memoryUsed.toFixed(0)}`,
      'always-checked': index.alwaysChecked,
      'evaluated/article (median, p95)': `${ev.median} / ${ev.p95}`,
      'matches/article': (matched.reduce((x, y) => x + y, 0) / matched.length).toFixed(1),
      'match rate %': ((100 * matched.reduce((x, y) => x + y, 0)) / matched.length / size).toFixed(3),
      'index match ms': ms(withIndex),
      'no-index ms': ms(noIndex),
      'prepare+index ms': ms(total),
      'naive regex ms': naive ? ms(naive) : 'skipped',
      'add / remove / update ms (cold; warm median)': `${fmt(changes.cold.add)} / ${fmt(changes.cold.remove)}; ${fmt(changes.add.median)} / ${fmt(changes.remove.median)} / ${fmt(changes.update.median)}`,
    });
    totals.set(size, { total: total.median, index: withIndex.median, noIndex: noIndex.median, ...(naive ? { naive: naive.median } : {}), cold: changes.cold, add: changes.add, remove: changes.remove, update: changes.update, memory: Math.max(memory, memoryUsed) });
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
  check('index memory at 100k, MB (after build / after matching, the larger)', t(100_000)?.memory, '≤ 150', (v) => v <= 150);
  check('add one rule at 100k, median ms (warm)', t(100_000)?.add.median, '≤ 5', (v) => v <= 5);
  check('remove one rule at 100k, median ms (warm)', t(100_000)?.remove.median, '≤ 5', (v) => v <= 5);
  const big = t(100_000);
  if (big) {
    console.log(`  (at 100k: cold add ${fmt(big.cold.add)} ms, cold remove ${fmt(big.cold.remove)} ms; warm p95 add ${fmt(big.add.p95)} ms, remove ${fmt(big.remove.p95)} ms; update ${fmt(big.update.median)} / ${fmt(big.update.p95)} ms)`);
    console.log('  (method: wall-clock time of single add()/remove() calls on the built index after it has matched the articles;');
    console.log('   cold = the first call of each in the process; warm = 400 calls each: 200 rules removed and added back,');
    console.log('   200 new rules added and removed again; index memory = heap used after two forced GCs, minus before the build)');
  }
  const last = rows.find((r) => r.rules === 100_000);
  if (last) console.log(`  build 100k: ${last['build s']} s (target < 10 s)`);
}

main();
