// Every Redis key Newswatch writes, named once: each family with its type, the module that owns
// it (the only one that writes it) and how long its keys live, so memory can be accounted for
// and cluster slots planned. Modules build key names only through `RedisKeys`.
//
// Cluster slots: a part of a pattern in [brackets] becomes a hash tag ({…}) when Redis is a
// cluster and stays plain text otherwise, so single-server installs keep their key names. Keys
// that one Lua script or MULTI touches together share that bracketed part, hence one slot.
// Pattern placeholders: <name> is one segment without ":", <name…> may span segments.

import { QUEUES, type QueueName } from './jobs.js';

export interface KeyFamily {
  /** After `<prefix>:`. */
  pattern: string;
  type: 'hash' | 'sorted set' | 'set' | 'string' | 'stream' | 'BullMQ queue keys';
  owner: string;
  lifetime: string;
}

export const KEY_FAMILIES = {
  queue: {
    pattern: '[<queue>]:<bullmq key…>',
    type: 'BullMQ queue keys',
    owner: 'workers/index.ts (BullMQ)',
    lifetime:
      'per job: article and deliver jobs removed when they complete, their ids kept 3 days as deduplication keys (de:<job id>, string); poll and digest the last 1000; failed deliveries until retried or removed; failed articles 7 days, digest runs 30 days',
  },
  seen: {
    pattern: 'seen:<feed>',
    type: 'sorted set',
    owner: 'src/feeds/seen.ts',
    lifetime: 'one per feed; an item is dropped 30 days after it last appeared in its feed; left behind when the feed leaves feeds.yaml',
  },
  health: {
    pattern: 'health:<feed>',
    type: 'hash',
    owner: 'src/feeds/health.ts',
    lifetime: 'one small hash per feed ever polled; left behind when the feed leaves feeds.yaml',
  },
  validators: {
    pattern: 'validators:<feed>',
    type: 'hash',
    owner: 'src/feeds/validators.ts',
    lifetime: 'one small hash per feed read (its ETag, Last-Modified and the digest of its last body); left behind when the feed leaves feeds.yaml',
  },
  pollLock: {
    pattern: 'poll-lock:<feed>',
    type: 'string',
    owner: 'src/feeds/poll-lock.ts',
    lifetime: 'while a poll of the feed runs (one at a time across processes); expires after the feed timeout + parsing timeout + 30 s if its holder dies',
  },
  hostLeases: {
    pattern: 'host:{<host…>}:leases',
    type: 'sorted set',
    owner: 'src/feeds/host-limiter.ts',
    lifetime: 'requests in flight to a host; expires with the last lease (the longest fetch timeout + 30 s)',
  },
  hostNotBefore: {
    pattern: 'host:{<host…>}:not-before',
    type: 'string',
    owner: 'src/feeds/host-limiter.ts',
    lifetime: "a host's gap or Retry-After pause; expires when it ends",
  },
  story: {
    pattern: '[story]:<story>',
    type: 'hash',
    owner: 'src/alerts/story-store.ts',
    lifetime: 'a matched story and its word set; alerts.dedupWindow (48 h)',
  },
  storyUrl: {
    pattern: '[story]:url:<url hash>',
    type: 'string',
    owner: 'src/alerts/story-store.ts',
    lifetime: 'canonical URL → story; alerts.dedupWindow',
  },
  storyBand: {
    pattern: '[story]:band:<band>',
    type: 'sorted set',
    owner: 'src/alerts/story-store.ts',
    lifetime: 'MinHash band → stories; alerts.dedupWindow',
  },
  digestBucket: {
    pattern: 'digest:[<subscription>]',
    type: 'hash',
    owner: 'src/alerts/digest-store.ts',
    lifetime: "a digest subscription's stories until its next digest run drains them",
  },
  digestBatch: {
    pattern: 'digest:[<subscription>]:batch:<run>',
    type: 'hash',
    owner: 'src/alerts/digest-store.ts',
    lifetime: 'a drained bucket during one digest run; deleted once its email is queued',
  },
  digested: {
    pattern: 'digested:[<subscription>]:<story>',
    type: 'string',
    owner: 'src/alerts/digest-store.ts',
    lifetime: 'a story went into a digest of this subscription; alerts.dedupWindow',
  },
  sent: {
    pattern: 'sent:<delivery>',
    type: 'string',
    owner: 'src/alerts/sent-markers.ts',
    lifetime: 'an alert or digest was delivered; 14 days (while an alert is being sent: the claim of the job sending it, for the job lock duration)',
  },
  lastDelivery: {
    pattern: 'last-delivery',
    type: 'hash',
    owner: 'src/alerts/last-delivery.ts',
    lifetime: 'the last alert or digest delivered (when, subscription, what, to whom), for `newswatch status`; overwritten by each delivery',
  },
  disabled: {
    pattern: 'disabled',
    type: 'hash',
    owner: 'src/alerts/subscriptions.ts',
    lifetime: 'subscriptions disabled by a 410 Gone webhook, until `newswatch enable`',
  },
  secret: {
    pattern: 'secret',
    type: 'string',
    owner: 'src/alerts/unsubscribe.ts',
    lifetime: 'the unsubscribe-link key when NEWSWATCH_SECRET is unset; forever',
  },
  // Subscriptions and rules created through the web or the API. One slot holds them all, so each
  // change (record, indexes, change-log entry) is one Lua script.
  directorySubscriptions: {
    pattern: '[directory]:subscriptions',
    type: 'hash',
    owner: 'src/alerts/subscription-store.ts',
    lifetime: 'confirmed subscriptions (id → JSON) until unsubscribed or deleted',
  },
  directoryRules: {
    pattern: '[directory]:rules',
    type: 'hash',
    owner: 'src/alerts/subscription-store.ts',
    lifetime: 'rules created through the API (id → JSON) until deleted',
  },
  directoryChanges: {
    pattern: '[directory]:changes',
    type: 'stream',
    owner: 'src/alerts/subscription-store.ts',
    lifetime: 'which subscription or rule changed, read by every process; about the last 10,000 entries',
  },
  pendingSubscription: {
    pattern: '[directory]:pending:<subscription>',
    type: 'string',
    owner: 'src/alerts/subscription-store.ts',
    lifetime: 'a subscription waiting for its confirmation; web.confirmWithin (7 days), then gone',
  },
  pendingByAddress: {
    pattern: '[directory]:pending-address:<address hash>',
    type: 'sorted set',
    owner: 'src/alerts/subscription-store.ts',
    lifetime: "an address's unconfirmed subscriptions by expiry, for the cap per address; expires with the last",
  },
  pendingIndex: {
    pattern: '[directory]:pending-index',
    type: 'sorted set',
    owner: 'src/alerts/subscription-store.ts',
    lifetime: 'every unconfirmed subscription by expiry, for listings; expired entries trimmed on each new one',
  },
  subscriptionsByAddress: {
    pattern: '[directory]:address:<address hash>',
    type: 'set',
    owner: 'src/alerts/subscription-store.ts',
    lifetime: "an address's confirmed subscriptions, for the manage page; gone with the last",
  },
  sameSubscription: {
    pattern: '[directory]:same:<address and query hash>',
    type: 'string',
    owner: 'src/alerts/subscription-store.ts',
    lifetime: 'address + query → subscription, so subscribing twice makes one; as long as the subscription',
  },
  confirmationsSent: {
    pattern: '[directory]:mails:<address hash>',
    type: 'string',
    owner: 'src/alerts/subscription-store.ts',
    lifetime: 'confirmation and manage-link emails sent to an address in the last day (web.mailsPerAddressPerDay); 1 day',
  },
  // The alert feeds of subscriptions and rules (Atom / JSON Feed). An owner's two keys share a
  // slot: one script changes both.
  alertFeedOrder: {
    pattern: 'alertfeed:<kind>:[<owner>]:order',
    type: 'sorted set',
    owner: 'src/alerts/alert-feed-store.ts',
    lifetime: "a subscription's or rule's newest 100 matched stories by time; 30 days after its last match, or until deleted through the API",
  },
  alertFeedEntries: {
    pattern: 'alertfeed:<kind>:[<owner>]:entries',
    type: 'hash',
    owner: 'src/alerts/alert-feed-store.ts',
    lifetime: 'the same stories (title, link, summary, matched words); as alertFeedOrder',
  },
  apiRateLimit: {
    pattern: 'ratelimit:api:<client…>',
    type: 'string',
    owner: 'src/web/api.ts (@fastify/rate-limit)',
    lifetime: "requests of one client IP to /api/v1 in the current minute (api.requestsPerMinute); 1 minute",
  },
  // Articles of the last days for previews of a query (subscribe page, test-rule --recent). One
  // slot: the script that adds one also trims both.
  recentOrder: {
    pattern: '[recent]:order',
    type: 'sorted set',
    owner: 'src/feeds/recent-articles.ts',
    lifetime: 'recent article ids by when they were kept; preview.keep (7 days) and at most preview.maxArticles',
  },
  recentArticles: {
    pattern: '[recent]:articles',
    type: 'hash',
    owner: 'src/feeds/recent-articles.ts',
    lifetime: 'the matchable text of each recent article (content cut to 10,000 characters); as recentOrder',
  },
  pagesRateLimit: {
    pattern: 'ratelimit:pages:<route and client…>',
    type: 'string',
    owner: 'src/web/pages.ts (@fastify/rate-limit)',
    lifetime: 'requests of one client IP to one form or the preview in the current minute (web.formsPerMinute, web.previewsPerMinute); 1 minute',
  },
} as const satisfies Record<string, KeyFamily>;

export type KeyFamilyName = keyof typeof KEY_FAMILIES;

/** Key names of one deployment: its prefix, and whether Redis is a cluster (hash tags on). */
export class RedisKeys {
  constructor(
    readonly prefix: string,
    readonly cluster = false,
  ) {}

  /** The BullMQ queue name: hash-tagged on a cluster so that all of a queue's keys share a slot. */
  queue(name: QueueName): string {
    return this.slot(name);
  }

  seen(feedId: string): string {
    return this.key('seen', feedId);
  }

  health(feedId: string): string {
    return this.key('health', feedId);
  }

  validators(feedId: string): string {
    return this.key('validators', feedId);
  }

  pollLock(feedId: string): string {
    return this.key('poll-lock', feedId);
  }

  hostLeases(host: string): string {
    return this.key('host', `{${host}}`, 'leases');
  }

  hostNotBefore(host: string): string {
    return this.key('host', `{${host}}`, 'not-before');
  }

  /**
   * Base of the story family (`story:<id>`, `story:url:…`, `story:band:…`). One slot holds every
   * story: the near-duplicate search of one Lua script looks across all of them.
   */
  storyBase(): string {
    return this.key(this.slot('story'));
  }

  story(storyId: string): string {
    return `${this.storyBase()}:${storyId}`;
  }

  digestBucket(subscriptionId: string): string {
    return this.key('digest', this.slot(subscriptionId));
  }

  digestBatch(subscriptionId: string, runId: string): string {
    return `${this.digestBucket(subscriptionId)}:batch:${runId}`;
  }

  digested(subscriptionId: string, storyId: string): string {
    return this.key('digested', this.slot(subscriptionId), storyId);
  }

  sent(deliveryId: string): string {
    return this.key('sent', deliveryId);
  }

  lastDelivery(): string {
    return this.key('last-delivery');
  }

  disabled(): string {
    return this.key('disabled');
  }

  secret(): string {
    return this.key('secret');
  }

  directorySubscriptions(): string {
    return this.key(this.slot('directory'), 'subscriptions');
  }

  directoryRules(): string {
    return this.key(this.slot('directory'), 'rules');
  }

  directoryChanges(): string {
    return this.key(this.slot('directory'), 'changes');
  }

  pendingSubscription(subscriptionId: string): string {
    return this.key(this.slot('directory'), 'pending', subscriptionId);
  }

  pendingByAddress(addressHash: string): string {
    return this.key(this.slot('directory'), 'pending-address', addressHash);
  }

  pendingIndex(): string {
    return this.key(this.slot('directory'), 'pending-index');
  }

  subscriptionsByAddress(addressHash: string): string {
    return this.key(this.slot('directory'), 'address', addressHash);
  }

  sameSubscription(hash: string): string {
    return this.key(this.slot('directory'), 'same', hash);
  }

  confirmationsSent(addressHash: string): string {
    return this.key(this.slot('directory'), 'mails', addressHash);
  }

  alertFeedOrder(kind: 'subscription' | 'rule', ownerId: string): string {
    return this.key('alertfeed', kind, this.slot(ownerId), 'order');
  }

  alertFeedEntries(kind: 'subscription' | 'rule', ownerId: string): string {
    return this.key('alertfeed', kind, this.slot(ownerId), 'entries');
  }

  /** Rate-limit counter of an API client; `apiRateLimit('')` is the prefix the limiter adds the IP to. */
  apiRateLimit(client: string): string {
    return `${this.key('ratelimit', 'api')}:${client}`;
  }

  recentOrder(): string {
    return this.key(this.slot('recent'), 'order');
  }

  recentArticles(): string {
    return this.key(this.slot('recent'), 'articles');
  }

  /** Prefix of the pages' rate-limit counters (the limiter appends route and client). */
  pagesRateLimit(): string {
    return `${this.key('ratelimit', 'pages')}:`;
  }

  /**
   * The family a key of this deployment belongs to, or undefined for a key no family names.
   * BullMQ's queue keys are tried last: on a single server the digest queue's keys and the
   * digest buckets both start with `digest:`.
   */
  familyOf(key: string): KeyFamilyName | undefined {
    const names = (Object.keys(KEY_FAMILIES) as KeyFamilyName[]).filter((n) => n !== 'queue');
    return [...names, 'queue' as const].find((name) => this.matcher(name).test(key));
  }

  /** A regular expression for the keys of one family in this deployment. */
  matcher(name: KeyFamilyName): RegExp {
    const escape = (s: string) => s.replace(/[.*+?^${}()|\\]/g, '\\$&');
    const body = KEY_FAMILIES[name].pattern
      .split(/(<[^>]+>|\[|\])/)
      .map((part) => {
        if (part === '[') return this.cluster ? '\\{' : '';
        if (part === ']') return this.cluster ? '\\}' : '';
        if (part === '<queue>') return `(?:${Object.values(QUEUES).join('|')})`;
        if (part.startsWith('<')) return part.endsWith('…>') ? '.*' : '[^:]+';
        return escape(part);
      })
      .join('');
    return new RegExp(`^${escape(this.prefix)}:${body}$`);
  }

  /**
   * The pub/sub channel on which `newswatch reload` (and a process that saw its config change)
   * tells every process to reload its config. A channel, not a key: it holds no memory.
   */
  reloadChannel(): string {
    return this.key('reload');
  }

  private slot(part: string): string {
    return this.cluster ? `{${part}}` : part;
  }

  private key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }
}
