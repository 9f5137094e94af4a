// This process's Prometheus metrics (prom-client, every name prefixed `newswatch_`), one registry
// per pipeline so that tests can build several in one process. Workers count what they do
// (polls, fetches, items, articles, extractions, matches, deliveries, latency); queue depths and
// the rule index are read when Prometheus scrapes. Label sets are bounded: outcomes and error
// classes are fixed lists, and matches get a label of their own for the first MAX_RULE_LABELS
// rule ids this process sees, `other` for the rest (readers' rules could be many thousands).
// docs/metrics.md lists every metric; docs/grafana-dashboard.json uses them.

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Queues } from './context.js';
import { queueStats } from './stats.js';

export const METRIC_PREFIX = 'newswatch_';
export const MAX_RULE_LABELS = 200;

/** What a poll ended with: new items, none, 304, put off, or the error class of its failure. */
export type PollOutcome = 'new_items' | 'no_new_items' | 'not_modified' | 'unchanged' | 'deferred' | 'unknown_feed' | (string & {});

export interface MetricsSources {
  queues: Queues;
  /** Rules in the index now and how long its last full build took (ms; undefined before one). */
  ruleIndex: () => { rules: number; buildMs?: number };
}

export class Metrics {
  readonly registry = new Registry();
  readonly polls: Counter<'outcome'>;
  readonly fetchSeconds: Histogram<'kind'>;
  readonly itemsSeen: Counter;
  readonly itemsNew: Counter;
  readonly articles: Counter;
  readonly extractions: Counter<'outcome'>;
  private readonly matches: Counter<'rule'>;
  private readonly deliveries: Counter<'kind' | 'channel' | 'outcome'>;
  private readonly alertLatency: Histogram;
  private readonly ruleLabels = new Set<string>();

  constructor(sources?: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
    this.polls = new Counter({ name: `${METRIC_PREFIX}polls_total`, help: 'Feed polls by outcome: new_items, no_new_items, not_modified (304), unchanged (200 with the body of the last poll), deferred (backed off or host busy), unknown_feed, or the error class', labelNames: ['outcome'], registers });
    this.fetchSeconds = new Histogram({
      name: `${METRIC_PREFIX}fetch_duration_seconds`,
      help: 'Time to fetch a feed or an article page (waiting for a turn at the host included), successes and failures',
      labelNames: ['kind'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.itemsSeen = new Counter({ name: `${METRIC_PREFIX}items_seen_total`, help: 'Items read in polled feeds (every item of every successful poll)', registers });
    this.itemsNew = new Counter({ name: `${METRIC_PREFIX}items_new_total`, help: 'New items handed on as articles (processed by the poll, or queued)', registers });
    this.articles = new Counter({ name: `${METRIC_PREFIX}articles_processed_total`, help: 'Articles matched against the rules', registers });
    this.extractions = new Counter({ name: `${METRIC_PREFIX}extractions_total`, help: 'Article page fetch and extraction by outcome: ok or the error class', labelNames: ['outcome'], registers });
    this.matches = new Counter({ name: `${METRIC_PREFIX}rule_matches_total`, help: `Articles matched per rule (the first ${MAX_RULE_LABELS} rule ids seen by this process; "other" for the rest)`, labelNames: ['rule'], registers });
    this.deliveries = new Counter({ name: `${METRIC_PREFIX}deliveries_total`, help: 'Alerts, digests and operator notices sent or failed (an attempt that throws) by channel', labelNames: ['kind', 'channel', 'outcome'], registers });
    this.alertLatency = new Histogram({
      name: `${METRIC_PREFIX}alert_latency_seconds`,
      help: "Time from an item's first sighting in its feed to its alert being sent",
      buckets: [1, 5, 15, 30, 60, 120, 300, 900, 3600, 4 * 3600, 24 * 3600],
      registers,
    });
    if (!sources) return;
    const stats = () => queueStats(sources.queues);
    new Gauge({
      name: `${METRIC_PREFIX}queue_jobs`,
      help: 'Jobs per queue and state (waiting, active, delayed, failed), read from Redis at scrape time',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        for (const s of await stats()) for (const state of ['waiting', 'active', 'delayed', 'failed'] as const) this.set({ queue: s.queue, state }, s[state]);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}queue_oldest_waiting_seconds`,
      help: 'Age of the oldest job waiting to be taken, per queue (0 when none waits)',
      labelNames: ['queue'],
      registers,
      async collect() {
        for (const s of await stats()) this.set({ queue: s.queue }, s.oldestWaitingMs / 1000);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}rule_index_rules`,
      help: 'Rules in the rule index (rules and subscriptions\u2019 keyword rules)',
      registers,
      collect() {
        this.set(sources.ruleIndex().rules);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}rule_index_build_seconds`,
      help: 'Duration of the last full build of the rule index',
      registers,
      collect() {
        const { buildMs } = sources.ruleIndex();
        if (buildMs !== undefined) this.set(buildMs / 1000);
      },
    });
  }

  matched(ruleIds: Iterable<string>): void {
    for (const id of ruleIds) {
      if (!this.ruleLabels.has(id) && this.ruleLabels.size < MAX_RULE_LABELS) this.ruleLabels.add(id);
      this.matches.inc({ rule: this.ruleLabels.has(id) ? id : 'other' });
    }
  }

  delivered(kind: 'alert' | 'digest' | 'notice', channel: string, outcome: 'sent' | 'failed', firstSeenAt?: string): void {
    this.deliveries.inc({ kind, channel, outcome });
    const seen = firstSeenAt ? Date.parse(firstSeenAt) : NaN;
    if (outcome === 'sent' && kind === 'alert' && Number.isFinite(seen)) this.alertLatency.observe(Math.max(0, Date.now() - seen) / 1000);
  }

  /** Times `fn` as a fetch of this kind, whether it succeeds or throws. */
  async timeFetch<T>(kind: 'feed' | 'page', fn: () => Promise<T>): Promise<T> {
    const end = this.fetchSeconds.startTimer({ kind });
    try {
      return await fn();
    } finally {
      end();
    }
  }

  /** The Prometheus text exposition of every metric. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
