// The shape of the optional config/settings.yaml: how Newswatch fetches (timeouts, size caps,
// User-Agent contact), how politely (per-host limits, backoff, Retry-After) and how a new feed's
// first poll is treated. Every key is optional; the defaults here are the documented ones.

import { z } from 'zod';
import { DURATION_HELP, parseDuration } from './duration.js';
import { parseSize, SIZE_HELP } from './size.js';
import { isCidr } from './cidr.js';
import { webhookSchema } from './schema.js';

const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration: ${DURATION_HELP}` });
    return z.NEVER;
  }
  return ms;
});

const size = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const bytes = parseSize(value);
  if (bytes === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a size: ${SIZE_HELP}` });
    return z.NEVER;
  }
  return bytes;
});

const concurrency = z.number().int().min(1).max(100);

const addressRange = z.string().refine((range) => isCidr(range), {
  message: 'not an address range: write a CIDR range such as "10.0.0.0/8" or "fd00::/8", or a single address',
});

const hostLimitSchema = z.strictObject({
  concurrency: concurrency.optional().describe('Requests at once to this host.'),
  minGap: duration.optional().describe('Time between the starts of two requests to this host.'),
});

export const settingsFileSchema = z.strictObject({
  contact: z
    .string()
    .trim()
    .min(1)
    .optional()
    .describe('A URL or email address put in the User-Agent so site owners can reach you; default $PUBLIC_URL.'),
  fetch: z
    .strictObject({
      connectTimeout: duration.prefault('10s').describe('Longest wait for a TCP/TLS connection; default 10s.'),
      feedTimeout: duration.prefault('30s').describe('Longest a whole feed download may take; default 30s.'),
      pageTimeout: duration.prefault('20s').describe('Longest a whole article page download may take; default 20s.'),
      feedMaxSize: size.prefault('10MB').describe('Largest feed accepted, after decompression; default 10MB.'),
      pageMaxSize: size.prefault('5MB').describe('Largest article page accepted, after decompression; default 5MB.'),
      maxRedirects: z.number().int().min(0).max(10).default(5).describe('Redirects followed per request; default 5.'),
      pageMaxDelay: duration
        .prefault('10m')
        .describe(
          'Longest an article waits for its page while the host is busy or paused before it is matched on the feed text alone; default 10m.',
        ),
      allowAddresses: z
        .array(addressRange)
        .default([])
        .describe(
          'Private addresses and CIDR ranges (e.g. 10.0.0.0/8, 192.168.1.20, fd00::/8) that article pages, their redirects and webhooks created through the API may connect to; loopback, private, link-local (cloud metadata) and unique-local addresses are refused otherwise, except the hosts of the feeds in feeds.yaml; default none.',
        ),
    })
    .prefault({}),
  parsing: z
    .strictObject({
      timeout: duration
        .prefault('10s')
        .describe(
          'Longest one article page extraction or one feed parse may run in its worker thread, in the thread\'s CPU time on Linux (a task waiting for a core is stopped only after 4 times this); a page over it is matched on the feed text, a feed over it fails with class over-budget; default 10s.',
        ),
      memory: size
        .prefault('512MB')
        .refine((bytes) => bytes >= 32 * 1024 * 1024, { message: 'must be at least 32MB: a parsing thread needs that much to start' })
        .describe('Heap of each parsing thread; a page or feed that needs more is treated as over the time budget; default 512MB.'),
      threads: z
        .number()
        .int()
        .min(1)
        .max(64)
        .optional()
        .describe('Parsing threads per process; default: the number of CPU cores.'),
      nice: z
        .number()
        .int()
        .min(0)
        .max(19)
        .default(10)
        .describe(
          'How many steps (Unix nice values) below the worker the parsing threads run, on Linux: under load the main thread, which runs the queues, matching and deliveries, gets a core first; 0 runs them alike; default 10.',
        ),
      maxDepth: z
        .number()
        .int()
        .min(16)
        .max(1_000_000)
        .default(512)
        .describe('Elements of a page nested deeper than this are flattened before parsing (their text kept); default 512, as browsers do.'),
    })
    .prefault({}),
  hosts: z
    .strictObject({
      concurrency: concurrency.default(2).describe('Requests at once to one host, across all workers; default 2.'),
      minGap: duration.prefault('1s').describe('Time between the starts of two requests to one host; default 1s.'),
      maxWait: duration
        .prefault('2m')
        .describe('Longest a request waits for its turn at a busy host before the poll is put off; default 2m.'),
      overrides: z
        .record(z.string().min(1), hostLimitSchema)
        .default({})
        .describe('Per-host limits by host name, e.g. `feeds.bbci.co.uk: { concurrency: 4, minGap: 250ms }`.'),
    })
    .prefault({}),
  polling: z
    .strictObject({
      firstPollMaxAge: duration
        .prefault('3d')
        .describe('On the first poll of a new feed, older items are remembered but not alerted; default 3d.'),
      maxBackoff: duration.prefault('12h').describe('Longest wait between polls of a failing feed; default 12h.'),
      maxRetryAfter: duration.prefault('1d').describe('Longest Retry-After from a server that is honoured; default 1d.'),
      flagAfter: duration
        .prefault('1d')
        .describe(
          'A feed failing for this long is flagged in `newswatch feeds` and `newswatch status` (and still polled), and the operator (`operator:`) is told once, and once more when it recovers; default 1d.',
        ),
      identity: z
        .enum(['guid', 'link'], { error: 'identity must be "guid" or "link"' })
        .default('guid')
        .describe(
          'What identifies a feed item unless its feed says otherwise: its guid (items repeating a guid are dropped, counted in the feed health), or its link (items sharing a guid but not a link are kept apart); default guid.',
        ),
    })
    .prefault({}),
  operator: z
    .strictObject({
      email: z.email({ error: 'must be an email address, e.g. ops@example.org' }).optional().describe('Address told when a feed has failed for longer than polling.flagAfter, and when it recovers.'),
      webhook: webhookSchema
        .optional()
        .describe('Webhook told the same (JSON with type "feed.failing" / "feed.recovered", or a Slack / Discord message), signed like alerts.'),
    })
    .prefault({})
    .describe('Who runs this deployment: told through the deliver queue (retries and the failed set apply) when a feed breaks and when it recovers; default nobody.'),
  alerts: z
    .strictObject({
      dedupWindow: duration
        .prefault('48h')
        .describe('Copies of a story (same URL or near-duplicate text) within this window give no second alert; default 48h.'),
    })
    .prefault({}),
  delivery: z
    .strictObject({
      attempts: z.number().int().min(1).max(50).default(12).describe('Tries per email or webhook before it is kept as failed; default 12.'),
      backoff: duration
        .prefault('20s')
        .describe('Wait before the first retry, doubled after each failed try; default 20s (12 tries span about 23 hours). run-once shortens it so that every try fits into its --timeout.'),
      webhookTimeout: duration.prefault('10s').describe('Longest a webhook receiver may take to answer; default 10s.'),
      smtpConnections: z
        .number()
        .int()
        .min(1)
        .max(50)
        .default(5)
        .describe('SMTP connections kept open and reused for emails, per worker process; default 5.'),
      unsubscribeMailto: z
        .email({ error: 'must be an email address, e.g. unsubscribe@example.org' })
        .optional()
        .describe(
          'An address whose mail you read: every alert and digest then names it in List-Unsubscribe beside the one-click link (for mail clients that only write), with the subscription in the subject and its unsubscribe link in the body; default none.',
        ),
    })
    .prefault({}),
  preview: z
    .strictObject({
      keep: duration
        .prefault('7d')
        .describe('Articles of this long ago and newer are kept in Redis to preview a query on (subscribe page, test-rule --recent); default 7d.'),
      maxArticles: z
        .number()
        .int()
        .min(0)
        .max(100_000)
        .default(2_000)
        .describe('At most this many recent articles are kept, the oldest dropped first (each a few KB); 0 keeps none; default 2000.'),
    })
    .prefault({})
    .describe('Recent articles kept for previews of a query.'),
  web: z
    .strictObject({
      bodyLimit: size.prefault('64KB').describe('Largest request body the web server reads (forms and API); default 64KB.'),
      confirmWithin: duration
        .prefault('7d')
        .describe('An unconfirmed subscription and its confirmation link last this long, then the subscription is gone; default 7d.'),
      mailsPerAddressPerDay: z
        .number()
        .int()
        .min(1)
        .max(100)
        .default(3)
        .describe('Confirmation and manage-link emails sent to one address per day at most; default 3.'),
      subscriptionsPerAddress: z
        .number()
        .int()
        .min(1)
        .max(1000)
        .default(20)
        .describe('Subscriptions one address may have, confirmed and unconfirmed together (the API with `confirmed: true` is not capped); default 20.'),
      publicForm: z
        .boolean()
        .default(true)
        .describe('Whether anyone may subscribe on the page at /; when false, manage and unsubscribe links (and the API) keep working; default true.'),
      allowedDomains: z
        .array(z.string().trim().toLowerCase().regex(/^[a-z0-9.-]+$/, { message: 'must be a domain name such as example.org' }))
        .default([])
        .describe('When not empty, the subscribe page accepts only addresses at these domains (and their subdomains); default any.'),
      maxQueryLength: z.number().int().min(10).max(10_000).default(500).describe('Longest query a reader may type, in characters; default 500.'),
      maxQueryTerms: z.number().int().min(1).max(1_000).default(30).describe('Most words, phrases and filters in a reader\'s query; default 30.'),
      formsPerMinute: z.number().int().min(1).max(100_000).default(20).describe('Forms one client IP may send per minute and form (subscribe, confirm, manage); more get 429; default 20.'),
      previewsPerMinute: z.number().int().min(1).max(100_000).default(120).describe('Live previews one client IP may ask for per minute; default 120.'),
    })
    .prefault({})
    .describe('The HTTP server of `newswatch start` (address and port from HTTP_HOST, HTTP_PORT).'),
  api: z
    .strictObject({
      requestsPerMinute: z
        .number()
        .int()
        .min(1)
        .max(100_000)
        .default(300)
        .describe('Requests to /api/v1 per client IP address per minute, across every web process; more get 429; default 300.'),
      allowWebhookRanges: z
        .array(addressRange)
        .default([])
        .describe(
          'Address ranges (CIDR) that webhooks created through the API may reach although they are loopback, private or link-local, e.g. ["10.1.2.0/24"] for a receiver on your network; default none.',
        ),
    })
    .prefault({})
    .describe('The JSON API under /api/v1 (on when ADMIN_TOKEN is set).'),
});

export type SettingsFile = z.output<typeof settingsFileSchema>;

/** The settings when config/settings.yaml is absent. */
export const DEFAULT_SETTINGS_FILE: SettingsFile = settingsFileSchema.parse({});
