// Assigns each matched article to a story, atomically, in one Lua script: the same canonical
// URL, or a word set overlapping an earlier story's by SAME_STORY_MIN_OVERLAP (candidates found
// through the MinHash bands), within the dedup window, is the same story. Atomic so that two
// copies processed at the same moment by two workers cannot both found a new story. Every key
// the script touches shares the story family's slot (src/queue/keys.ts); KEYS[1], the new
// story's key, routes the call to that slot's node on a Redis Cluster.

import { hashId } from '../queue/jobs.js';
import type { RedisKeys } from '../queue/keys.js';
import { withScripts, type RedisClient } from '../queue/redis.js';
import { bandKeys, MIN_STORY_WORDS, minhash, SAME_STORY_MIN_OVERLAP, storyFeatures } from './story.js';

export interface StoryAssignment {
  storyId: string;
  /** True when this article founded the story (also on a retry of its job); false for a copy. */
  isNew: boolean;
}

const ASSIGN_STORY = `
local base, urlHash, newId = ARGV[1], ARGV[2], ARGV[3]
local now, window = tonumber(ARGV[4]), tonumber(ARGV[5])
local minOverlap, minWords = tonumber(ARGV[6]), tonumber(ARGV[7])
local words = ARGV[8]
local firstBand = 9
local function storyKey(id) return base .. ':' .. id end
local urlKey = base .. ':url:' .. urlHash

local found = nil
if urlHash ~= '' then
  local id = redis.call('GET', urlKey)
  if id and redis.call('EXISTS', storyKey(id)) == 1 then found = id end
end

local mine, mineCount = {}, 0
for w in string.gmatch(words, '%S+') do
  if not mine[w] then mine[w] = true; mineCount = mineCount + 1 end
end

if not found and mineCount >= minWords then
  local bestScore, checked = 0, {}
  for i = firstBand, #ARGV do
    local bandKey = base .. ':band:' .. ARGV[i]
    redis.call('ZREMRANGEBYSCORE', bandKey, '-inf', now - window)
    for _, id in ipairs(redis.call('ZRANGE', bandKey, 0, -1)) do
      if not checked[id] then
        checked[id] = true
        local theirs = redis.call('HGET', storyKey(id), 'words')
        if theirs then
          local common, count = 0, 0
          for w in string.gmatch(theirs, '%S+') do
            count = count + 1
            if mine[w] then common = common + 1 end
          end
          local smaller = math.min(count, mineCount)
          if smaller >= minWords then
            local score = common / smaller
            if score >= minOverlap and score > bestScore then found, bestScore = id, score end
          end
        end
      end
    end
  end
end

if found then
  if urlHash ~= '' then redis.call('SET', urlKey, found, 'PX', window) end
  -- A retried job finds the story it founded itself: still the founder, not a copy.
  if found == newId then return {found, 1} end
  return {found, 0}
end
if redis.call('EXISTS', storyKey(newId)) == 1 then return {newId, 1} end
redis.call('HSET', storyKey(newId), 'words', words, 'first', now)
redis.call('PEXPIRE', storyKey(newId), window)
if urlHash ~= '' then redis.call('SET', urlKey, newId, 'PX', window) end
if mineCount >= minWords then
  for i = firstBand, #ARGV do
    local bandKey = base .. ':band:' .. ARGV[i]
    redis.call('ZADD', bandKey, now, newId)
    redis.call('PEXPIRE', bandKey, window)
  end
end
return {newId, 1}
`;

type WithAssign = RedisClient & { nwAssignStory(...args: (string | number)[]): Promise<[string, number]> };

export class StoryStore {
  private readonly redis: WithAssign;

  constructor(
    redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly windowMs: number,
  ) {
    this.redis = withScripts<WithAssign>(redis, { nwAssignStory: { keys: 1, lua: ASSIGN_STORY } });
  }

  /** The story of an article; the article's own id founds a new one when none matches. */
  async assign(article: StoryArticle, now = Date.now()): Promise<StoryAssignment> {
    return (await this.assignAll([article], now))[0]!;
  }

  /**
   * The stories of several articles, as if assigned one after the other in this order (a copy
   * finds the story an earlier one in the list founded): the scripts go in one pipeline, which
   * Redis runs in order, in one write and one round trip. Every key is in the story slot, so
   * the pipeline is valid on a cluster too.
   */
  async assignAll(articles: readonly StoryArticle[], now = Date.now()): Promise<StoryAssignment[]> {
    if (articles.length === 0) return [];
    const pipeline = this.redis.pipeline() as unknown as { nwAssignStory(...args: (string | number)[]): void; exec(): Promise<[Error | null, unknown][] | null> };
    const newIds = articles.map((article) => {
      const features = storyFeatures(article);
      const newId = hashId(article.feed, article.id);
      pipeline.nwAssignStory(
        this.keys.story(newId),
        this.keys.storyBase(),
        article.url ? hashId(article.url) : '',
        newId,
        now,
        this.windowMs,
        SAME_STORY_MIN_OVERLAP,
        MIN_STORY_WORDS,
        [...features].join(' '),
        ...bandKeys(minhash(features)),
      );
      return newId;
    });
    const replies = (await pipeline.exec()) ?? [];
    return newIds.map((_, i) => {
      const [err, reply] = replies[i] ?? [new Error('story assignment: no reply from Redis'), undefined];
      if (err) throw err;
      const [storyId, isNew] = reply as [string, number];
      return { storyId, isNew: isNew === 1 };
    });
  }
}

type StoryArticle = { feed: string; id: string; url?: string; title?: string; summary?: string; content?: string };
