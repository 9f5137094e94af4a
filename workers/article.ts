// One new article: fetch its page and extract the main text when the feed asks for it, match
// it against every rule, and queue one delivery per subscription whose rules matched. Delivery
// job ids come from (subscription, story), so the same story via another feed or a retry of
// this job adds nothing twice.

import type { Job } from 'bullmq';
import { extractArticle } from '../src/extract/index.js';
import type { Article } from '../src/feeds/article.js';
import { decodeBody } from '../src/feeds/charset.js';
import { fetchUrl } from '../src/feeds/fetch.js';
import type { WorkerContext } from '../src/queue/context.js';
import { deliverJobId, hashId, type ArticleJobData, type MatchedRule } from '../src/queue/jobs.js';

export interface ArticleResult {
  matchedRules: string[];
  queuedFor: string[];
  extracted: boolean;
}

/** The story an article belongs to: its canonical URL, else its feed and id. */
export const storyIdOf = (article: Article) => hashId(article.url ?? `${article.feed}\u0000${article.id}`);

export async function processArticle(job: Job<ArticleJobData>, ctx: WorkerContext): Promise<ArticleResult> {
  const feed = ctx.config.feeds.find((f) => f.id === job.data.article.feed);
  let article = job.data.article;
  let extracted = false;
  if (feed?.fetchArticle && article.url) {
    try {
      article = await enrich(article, ctx);
      extracted = true;
    } catch (err) {
      // The feed's own text is still worth matching; the page may be down or paywalled.
      ctx.log.warn({ feedId: article.feed, url: article.url, err: (err as Error).message }, 'article page not extracted; matching feed text');
    }
  }

  const matches = ctx.rules.match({
    id: article.id,
    title: article.title,
    summary: article.summary,
    content: article.content,
    url: article.url,
    feed: article.feed,
    language: article.language,
    published: article.published,
    feedTags: feed?.tags,
  });
  if (matches.length === 0) return { matchedRules: [], queuedFor: [], extracted };

  const byId = new Map(matches.map((m) => [m.rule, m]));
  const storyId = storyIdOf(article);
  const matchedAt = new Date().toISOString();
  const { contentHtml: _html, ...slim } = article;
  const jobs = ctx.config.subscriptions.flatMap((sub) => {
    const rules: MatchedRule[] = sub.rules.flatMap((ruleId) => {
      const match = byId.get(ruleId);
      const rule = ctx.config.rules.find((r) => r.id === ruleId);
      return match && rule ? [{ id: rule.id, name: rule.name ?? rule.id, hits: match.hits }] : [];
    });
    if (rules.length === 0) return [];
    return [
      {
        name: 'deliver',
        data: { subscriptionId: sub.id, storyId, article: slim, rules, matchedAt },
        opts: { jobId: deliverJobId(sub.id, storyId) },
      },
    ];
  });
  await ctx.queues.deliver.addBulk(jobs);
  ctx.log.info({ feedId: article.feed, title: article.title, rules: [...byId.keys()], subscriptions: jobs.map((j) => j.data.subscriptionId) }, 'article matched');
  return { matchedRules: [...byId.keys()], queuedFor: jobs.map((j) => j.data.subscriptionId), extracted };
}

async function enrich(article: Article, ctx: WorkerContext): Promise<Article> {
  const page = await fetchUrl(article.url as string, {
    userAgent: ctx.settings.userAgent,
    timeoutMs: ctx.settings.pageTimeoutMs,
    maxBytes: ctx.settings.pageMaxBytes,
    accept: 'text/html, application/xhtml+xml;q=0.9, */*;q=0.5',
  });
  const html = decodeBody(page.body, page.headers.get('content-type'));
  const found = extractArticle(html, { url: page.url });
  const longer = found.text.length > (article.content?.length ?? 0);
  return {
    ...article,
    title: article.title ?? found.title,
    content: longer ? found.text : article.content,
    contentHtml: longer ? found.html : article.contentHtml,
    author: article.author ?? found.byline,
    language: article.language ?? found.language,
    published: article.published ?? found.published,
  };
}
