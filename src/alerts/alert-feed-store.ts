// The stories each subscription and each rule matched, newest ALERT_FEED_LENGTH kept, for their
// Atom and JSON feeds (alert-feed.ts, served by src/web/feeds.ts). Written by the article worker
// where matches are made. Rules of this store:
// - Per owner (a subscription or a rule) an order (sorted set: story id → when matched) and the
//   entries (hash: story id → JSON), changed together by one Lua script: a story is listed once
//   however many copies of it arrive (the first copy's entry stays), and the oldest go beyond
//   the cap.
// - Both keys expire ALERT_FEED_IDLE_MS after the owner's last match, so the feeds of owners that
//   are gone without a word (an unsubscribe link, a rule taken out of rules.yaml) do not stay
//   forever; deleting through the API drops them at once.

import type { FeedOwner } from './links.js';
import type { RedisKeys } from '../queue/keys.js';
import { withScripts, type RedisClient } from '../queue/redis.js';

/** Stories in one feed. */
export const ALERT_FEED_LENGTH = 100;
/** A feed with no new story for this long is dropped. */
export const ALERT_FEED_IDLE_MS = 30 * 86_400_000;

export interface AlertFeedEntry {
  storyId: string;
  title?: string;
  url?: string;
  summary?: string;
  published?: string;
  /** Feed display name. */
  source: string;
  matchedAt: string;
  /** Names of the rules that matched (a subscription's query is "Keywords: …"). */
  rules: string[];
  /** The words of the article that matched, as they are written there. */
  words: string[];
}

export interface FeedOwnerRef {
  kind: FeedOwner;
  id: string;
}

// KEYS: 1 order, 2 entries. ARGV: 1 cap, 2 idle ms, then per entry: story id, score (ms), JSON.
// The entries of one batch in one call, in order; the cap is applied once, after them, which
// keeps the same newest stories as applying it after each.
const ADD_ENTRIES = `
for i = 3, #ARGV, 3 do
  if redis.call('ZADD', KEYS[1], 'NX', ARGV[i + 1], ARGV[i]) == 1 then
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 2])
  end
end
local extra = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[1])
if extra > 0 then
  local gone = redis.call('ZRANGE', KEYS[1], 0, extra - 1)
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, extra - 1)
  for j = 1, #gone, 1000 do
    redis.call('HDEL', KEYS[2], unpack(gone, j, math.min(j + 999, #gone)))
  end
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1
`;

type WithScripts = RedisClient & { nwAddAlertFeedEntries(...args: (string | number)[]): Promise<number> };

export class AlertFeedStore {
  private readonly redis: WithScripts;

  constructor(
    redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {
    this.redis = withScripts<WithScripts>(redis, { nwAddAlertFeedEntries: { keys: 2, lua: ADD_ENTRIES } });
  }

  /**
   * Adds each entry to its owner's feed, in order (of two entries for one story in one owner's
   * feed, the first stays). One script call per owner (both of an owner's keys share its slot;
   * owners live in different slots) for all its entries.
   */
  async add(entries: { owner: FeedOwnerRef; entry: AlertFeedEntry }[]): Promise<void> {
    const byOwner = new Map<string, { owner: FeedOwnerRef; args: (string | number)[] }>();
    for (const { owner, entry } of entries) {
      const key = `${owner.kind}\u0000${owner.id}`;
      let group = byOwner.get(key);
      if (!group) byOwner.set(key, (group = { owner, args: [ALERT_FEED_LENGTH, ALERT_FEED_IDLE_MS] }));
      group.args.push(entry.storyId, Date.parse(entry.matchedAt) || Date.now(), JSON.stringify(entry));
    }
    await Promise.all(
      [...byOwner.values()].map(({ owner, args }) =>
        this.redis.nwAddAlertFeedEntries(this.keys.alertFeedOrder(owner.kind, owner.id), this.keys.alertFeedEntries(owner.kind, owner.id), ...args),
      ),
    );
  }

  /** The owner's stories, newest first. */
  async list(owner: FeedOwnerRef): Promise<AlertFeedEntry[]> {
    const ids = await this.redis.zrevrange(this.keys.alertFeedOrder(owner.kind, owner.id), 0, ALERT_FEED_LENGTH - 1);
    if (ids.length === 0) return [];
    const found = await this.redis.hmget(this.keys.alertFeedEntries(owner.kind, owner.id), ...ids);
    return found.flatMap((json) => (json ? [JSON.parse(json) as AlertFeedEntry] : []));
  }

  async drop(owner: FeedOwnerRef): Promise<void> {
    await this.redis.del(this.keys.alertFeedOrder(owner.kind, owner.id), this.keys.alertFeedEntries(owner.kind, owner.id));
  }
}
