// Recent articles, kept in Redis so a query can be tried on them before anyone subscribes (the
// subscribe page's preview, `newswatch test-rule --recent`). Rules:
// - Only what matching reads is kept (title, summary, content, URL, feed, language, date, feed
//   tags), the content cut to RECENT_CONTENT_CHARS: a preview needs the gist, not the page.
// - Bounded twice: articles older than `keepMs` and, beyond `maxArticles`, the oldest are dropped
//   by the same Lua script that adds one or a batch, so memory is at most maxArticles × a few KB.
// - Adding the same article again (a copy through another feed has another key) replaces it.
// - An entry is the article's JSON without its content, then a line break and the content as it
//   is (entryOf): JSON never writes a raw line break, so the first one ends the JSON, and an
//   entry of the earlier all-JSON form has none and reads as before. Escaping a content of
//   non-Latin-1 text cost JSON.stringify about 7 µs per 1,000 characters on the main thread.

import { createHash } from 'node:crypto';
import type { MatchInput } from '../match/index.js';
import type { RedisKeys } from '../queue/keys.js';
import { withScripts, type RedisClient } from '../queue/redis.js';
import { matchInputOf, type Article } from './article.js';
import { boundText } from './bounds.js';

/** Content kept per recent article; a preview matches on this much of the text. */
export const RECENT_CONTENT_CHARS = 10_000;

export interface RecentLimits {
  keepMs: number;
  maxArticles: number;
}

/** A recent article as kept: the matcher's input, with when it was kept. */
export interface RecentArticle extends MatchInput {
  /** Epoch ms when it was added. */
  keptAt: number;
}

// KEYS: 1 order (sorted set id → kept at), 2 articles (hash id → JSON)
// ARGV: 1 now ms, 2 keep ms, 3 max articles, then pairs of id and JSON (one or a batch's)
const ADD_RECENT = `
local now = tonumber(ARGV[1])
for i = 4, #ARGV, 2 do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  redis.call('ZADD', KEYS[1], now, ARGV[i])
end
local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]), 'LIMIT', 0, 1000)
local over = math.min(1000, redis.call('ZCARD', KEYS[1]) - #old - tonumber(ARGV[3]))
if over > 0 then
  local oldest = redis.call('ZRANGE', KEYS[1], #old, #old + over - 1)
  for _, id in ipairs(oldest) do old[#old + 1] = id end
end
if #old > 0 then
  redis.call('ZREM', KEYS[1], unpack(old))
  redis.call('HDEL', KEYS[2], unpack(old))
end
return #old
`;

type WithScript = RedisClient & { nwAddRecent(...args: (string | number)[]): Promise<number> };

export class RecentArticles {
  private readonly redis: WithScript;

  constructor(
    redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly limits: RecentLimits,
  ) {
    this.redis = withScripts<WithScript>(redis, { nwAddRecent: { keys: 2, lua: ADD_RECENT } });
  }

  /** Keeps one article (its feed's tags with it, as `feed:` matches them); drops what is too old or too many. */
  async add(article: Article, feedTags?: string[], now = Date.now()): Promise<void> {
    await this.addAll([article], feedTags, now);
  }

  /** Keeps articles of one feed in one script call (a batch job's); the same rules as add. */
  async addAll(articles: Article[], feedTags?: string[], now = Date.now()): Promise<void> {
    if (articles.length === 0) return;
    const pairs: string[] = [];
    for (const article of articles) {
      const kept: RecentArticle = { ...matchInputOf(article, feedTags), content: boundText(article.content, RECENT_CONTENT_CHARS), keptAt: now };
      pairs.push(createHash('sha256').update(`${article.feed}\u0000${article.id}`).digest('base64url').slice(0, 22), entryOf(kept));
    }
    await this.redis.nwAddRecent(this.keys.recentOrder(), this.keys.recentArticles(), now, this.limits.keepMs, this.limits.maxArticles, ...pairs);
  }

  /**
   * Articles kept after `after` (epoch ms, exclusive) and within the keep window, oldest first,
   * with the kept-at time of the newest for the next call.
   */
  async since(after = 0, now = Date.now()): Promise<RecentArticle[]> {
    const from = Math.max(after, now - this.limits.keepMs);
    const ids = await this.redis.zrangebyscore(this.keys.recentOrder(), `(${from}`, '+inf');
    if (ids.length === 0) return [];
    const found: RecentArticle[] = [];
    // In slices, so one call never asks Redis for the whole set at once.
    for (let i = 0; i < ids.length; i += 500) {
      const entries = await this.redis.hmget(this.keys.recentArticles(), ...ids.slice(i, i + 500));
      for (const entry of entries) if (entry) found.push(articleOf(entry));
    }
    return found.sort((a, b) => a.keptAt - b.keptAt);
  }
}

/** A recent article as kept in Redis: its JSON without the content, then "\n" and the content. */
export function entryOf(kept: RecentArticle): string {
  const { content, ...rest } = kept;
  return content === undefined ? JSON.stringify(rest) : `${JSON.stringify(rest)}\n${content}`;
}

/** The recent article of an entry (entryOf's, or the earlier form: all of it as JSON). */
export function articleOf(entry: string): RecentArticle {
  const end = entry.indexOf('\n');
  if (end < 0) return JSON.parse(entry) as RecentArticle;
  return { ...(JSON.parse(entry.slice(0, end)) as RecentArticle), content: entry.slice(end + 1) };
}
