// Assigns each matched article to a story, atomically, in one Lua script (one call for a batch's
// articles, one after the other): the same canonical
// URL, or a word set overlapping an earlier story's by SAME_STORY_MIN_OVERLAP (candidates found
// through the MinHash bands), within the dedup window, is the same story. Atomic so that two
// copies processed at the same moment by two workers cannot both found a new story. Every key
// the script touches shares the story family's slot (src/queue/keys.ts); KEYS[1], a new
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

// ARGV: 1 base, 2 now, 3 window, 4 min overlap, 5 min words, 6 candidates per band, then per
// article: URL hash ('' for none), new id, words (space-separated), band count, bands. Returns
// {id, 1 if founder, …} per article, in order: each article sees the stories the ones before it
// founded.
//
// Bounded work per article, however many stories the window holds: a band's entries of the
// window are read newest first, at most CANDIDATES_PER_BAND of them, and visited oldest first
// (the order the whole band was read in before); expired entries are trimmed when a story is
// added to the band. A candidate's words are counted only until it can no longer reach the
// minimum overlap or beat the best one found (its stored count `n` says how many are left): the
// same result as counting them all. Each story's words are read once per call.
const ASSIGN_STORIES = `
local base = ARGV[1]
-- Numbers go to redis.call as the strings they came as or are turned into once: Lua formats a
-- number argument anew on every call.
local nowArg, windowArg, perBandArg = ARGV[2], ARGV[3], ARGV[6]
local now, window = tonumber(nowArg), tonumber(windowArg)
local minOverlap, minWords = tonumber(ARGV[4]), tonumber(ARGV[5])
local cutoffArg = tostring(now - window)
local since = '(' .. cutoffArg
local function storyKey(id) return base .. ':' .. id end

-- The overlap coefficient of my words with a story's (count of them), when it reaches
-- minOverlap and beats best; nil as soon as it cannot.
local function overlap(mine, mineCount, theirs, count, best)
  local smaller = math.min(count, mineCount)
  if smaller < minWords then return nil end
  local common, left = 0, count
  for w in string.gmatch(theirs, '%S+') do
    if mine[w] then common = common + 1 end
    left = left - 1
    local most = (common + left) / smaller
    if most < minOverlap or most <= best then return nil end
  end
  local score = common / smaller
  if score >= minOverlap and score > best then return score end
  return nil
end

-- Stories read by this call, by id: {words, their number}, or false when gone.
-- Articles of one call share crowded bands; a story's words do not change within the call.
local known = {}
local function storyWords(id)
  local story = known[id]
  if story == nil then
    local fields = redis.call('HMGET', storyKey(id), 'words', 'n')
    local words = fields[1]
    story = false
    if words then
      -- Written before the count was kept: counted here, by its spaces.
      local count = tonumber(fields[2])
      if not count then
        local at = 0
        count = words == '' and 0 or 1
        while true do
          at = string.find(words, ' ', at + 1, true)
          if not at then break end
          count = count + 1
        end
      end
      story = { words, count }
    end
    known[id] = story
  end
  return story
end

local function assign(urlHash, newId, words, firstBand, lastBand)
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
    for i = firstBand, lastBand do
      local bandKey = base .. ':band:' .. ARGV[i]
      local newest = redis.call('ZRANGE', bandKey, '+inf', since, 'BYSCORE', 'REV', 'LIMIT', '0', perBandArg)
      for j = #newest, 1, -1 do
        local id = newest[j]
        if not checked[id] then
          checked[id] = true
          local story = storyWords(id)
          if story then
            local score = overlap(mine, mineCount, story[1], story[2], bestScore)
            if score then found, bestScore = id, score end
          end
        end
      end
    end
  end

  if found then
    if urlHash ~= '' then redis.call('SET', urlKey, found, 'PX', windowArg) end
    -- A retried job finds the story it founded itself: still the founder, not a copy.
    if found == newId then return found, 1 end
    return found, 0
  end
  if redis.call('EXISTS', storyKey(newId)) == 1 then return newId, 1 end
  redis.call('HSET', storyKey(newId), 'words', words, 'n', mineCount, 'first', nowArg)
  known[newId] = nil
  redis.call('PEXPIRE', storyKey(newId), windowArg)
  if urlHash ~= '' then redis.call('SET', urlKey, newId, 'PX', windowArg) end
  if mineCount >= minWords then
    for i = firstBand, lastBand do
      local bandKey = base .. ':band:' .. ARGV[i]
      redis.call('ZREMRANGEBYSCORE', bandKey, '-inf', cutoffArg)
      redis.call('ZADD', bandKey, nowArg, newId)
      redis.call('PEXPIRE', bandKey, windowArg)
    end
  end
  return newId, 1
end

local out = {}
local i = 7
while i <= #ARGV do
  local bands = tonumber(ARGV[i + 3])
  local id, isNew = assign(ARGV[i], ARGV[i + 1], ARGV[i + 2], i + 4, i + 3 + bands)
  out[#out + 1] = id
  out[#out + 1] = isNew
  i = i + 4 + bands
end
return out
`;

/**
 * Band entries read per band, newest first: bounds the stories compared per article (16 bands ×
 * this), which otherwise grows with the stories in the window. A copy usually arrives within
 * hours and shares several bands with its story; a band holds more than this only when common
 * words crowd it (of 50,000 generated stories in one window, 1.1 % of band keys, the most 2,181
 * stories), and a copy is missed only when every band it shares with its story has this many
 * newer stories.
 */
export const CANDIDATES_PER_BAND = 16;

type WithAssign = RedisClient & { nwAssignStories(...args: (string | number)[]): Promise<(string | number)[]> };

export class StoryStore {
  private readonly redis: WithAssign;

  constructor(
    redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly windowMs: number,
  ) {
    this.redis = withScripts<WithAssign>(redis, { nwAssignStories: { keys: 1, lua: ASSIGN_STORIES } });
  }

  /** The story of an article; the article's own id founds a new one when none matches. */
  async assign(article: StoryArticle, now = Date.now()): Promise<StoryAssignment> {
    return (await this.assignAll([article], now))[0]!;
  }

  /**
   * The stories of several articles, as if assigned one after the other in this order (a copy
   * finds the story an earlier one in the list founded): one script call for them all, atomic
   * like one per article. Every key is in the story slot, so the call is valid on a cluster too.
   */
  async assignAll(articles: readonly StoryArticle[], now = Date.now()): Promise<StoryAssignment[]> {
    if (articles.length === 0) return [];
    const args: (string | number)[] = [this.keys.storyBase(), now, this.windowMs, SAME_STORY_MIN_OVERLAP, MIN_STORY_WORDS, CANDIDATES_PER_BAND];
    let firstId: string | undefined;
    for (const article of articles) {
      const features = storyFeatures(article);
      const newId = hashId(article.feed, article.id);
      firstId ??= newId;
      const bands = bandKeys(minhash(features));
      args.push(article.url ? hashId(article.url) : '', newId, [...features].join(' '), bands.length, ...bands);
    }
    // KEYS[1], a story's key, routes the call to the story slot's node on a cluster.
    const reply = await this.redis.nwAssignStories(this.keys.story(firstId!), ...args);
    return articles.map((_, i) => {
      const storyId = reply[2 * i];
      if (typeof storyId !== 'string') throw new Error(`story assignment: no reply from Redis for article ${i + 1} of ${articles.length}`);
      return { storyId, isNew: reply[2 * i + 1] === 1 };
    });
  }
}

type StoryArticle = { feed: string; id: string; url?: string; title?: string; summary?: string; content?: string };
