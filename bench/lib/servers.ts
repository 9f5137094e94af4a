// The outside world of the benchmark and the soak, all on 127.0.0.1: a feed and page server
// (ETag and 304 as real feeds answer), a webhook receiver and a minimal SMTP sink. The sink is
// hand-written on purpose: a full SMTP test server parses every message and costs ~100 ms per
// connection, so it would measure itself rather than the sender. Each records when an item was
// first served and when it was delivered, for first-sighting-to-delivery latencies.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { itemKeyIn, type News } from './news.js';

/** Item key ("feed/gen/index") → ms timestamp. */
export type Times = Map<string, number>;

export interface FeedServer {
  base: string;
  /** The generation every feed serves now; a new one is a fresh set of items. */
  generation: number;
  /** When a feed listing the item was first answered with 200. */
  firstServed: Times;
  requests: { feeds: number; notModified: number; pages: number };
  /**
   * Renders these feeds at this generation now, before a timed pass, so that no sender waits for
   * (or shares the CPU with) the server's text generation, which costs ~8-20 ms a feed of 50
   * items: without it, the first reader of a generation paid for it and a second (rss2email after
   * Newswatch) did not. Renderings of older generations are dropped.
   */
  prepare(feeds: number[], generation: number): void;
  close(): Promise<void>;
}

/**
 * `newPerPoll`: when set, every request for a feed moves it on by that many new items (the oldest
 * drop out), as a busy news feed between two polls; 0 keeps every feed as it is, so each answers
 * 304 from its second poll on. Unset: feeds change only with `generation`. `latencyMs`: every
 * answer waits that long, as from a server across the internet rather than on this machine.
 */
export async function startFeedServer(news: News, options: { newPerPoll?: number; latencyMs?: number } = {}): Promise<FeedServer> {
  // Rendered feeds by "feed/generation": the XML, encoded once (a string of 120 KB answered as is
  // is measured and encoded again on each answer, on the cores Newswatch is measured on), and the
  // keys of its items.
  const cache = new Map<string, { xml: Buffer; keys: string[] }>();
  const render = (n: number, gen: number, first: number) => {
    const items = news.items(n, gen, first);
    return { xml: Buffer.from(news.rss(state.base, n, items, Date.now())), keys: items.map((it) => `${n}/${gen}/${it.index}`) };
  };
  const polls = new Map<number, number>();
  const state: FeedServer = {
    base: '',
    generation: 0,
    firstServed: new Map(),
    requests: { feeds: 0, notModified: 0, pages: 0 },
    prepare: (feeds, gen) => {
      for (const key of cache.keys()) if (Number(key.split('/')[1]) < gen - 2) cache.delete(key);
      for (const n of feeds) if (!cache.has(`${n}/${gen}`)) cache.set(`${n}/${gen}`, render(n, gen, 0));
    },
    close: () => closeServer(server),
  };
  const server = createServer((req, res) => {
    if (options.latencyMs) setTimeout(() => answer(req, res), options.latencyMs);
    else answer(req, res);
  });
  const answer = (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const feed = /^\/f\/(\d+)\.xml/.exec(url);
    if (feed) {
      state.requests.feeds++;
      const n = Number(feed[1]);
      const gen = state.generation;
      let first = 0;
      if (options.newPerPoll !== undefined) {
        const count = polls.get(n) ?? 0;
        polls.set(n, count + 1);
        first = count * options.newPerPoll;
      }
      const etag = `"${n}-${gen}-${first}"`;
      if (req.headers['if-none-match'] === etag) {
        state.requests.notModified++;
        res.writeHead(304, { etag }).end();
        return;
      }
      const rolling = options.newPerPoll !== undefined;
      const key = `${n}/${gen}`;
      let feedText = rolling ? undefined : cache.get(key);
      if (!feedText) feedText = render(n, gen, first);
      if (!rolling) cache.set(key, feedText);
      const now = Date.now();
      for (const k of feedText.keys) if (!state.firstServed.has(k)) state.firstServed.set(k, now);
      res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8', etag }).end(feedText.xml);
      return;
    }
    const page = /^\/p\/(\d+)\/(\d+)\/(\d+)/.exec(url);
    if (page) {
      state.requests.pages++;
      const it = news.item(Number(page[1]), Number(page[2]), Number(page[3]));
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(news.page(it));
      return;
    }
    res.writeHead(404).end();
  };
  state.base = await listen(server);
  return state;
}

export interface Receiver {
  url: string;
  /** Item key → first delivery time; `count` counts every delivery, repeats included. */
  delivered: Times;
  count: number;
  /** Deliveries of an item to a recipient it was already delivered to: must stay 0. */
  repeats: number;
  seen: Set<string>;
  /** Connections opened by senders (keep-alive keeps this low). */
  connections: number;
  reset(): void;
  close(): Promise<void>;
}

function receiverState(close: () => Promise<void>): Receiver {
  const r: Receiver = {
    url: '',
    delivered: new Map(),
    count: 0,
    repeats: 0,
    seen: new Set(),
    connections: 0,
    reset() {
      r.delivered.clear();
      r.seen.clear();
      r.count = r.repeats = r.connections = 0;
    },
    close,
  };
  return r;
}

/**
 * One delivery of the item the text names, to the recipient it names (`recipient` finds the
 * subscription in a webhook body or the address in an email): the same item for two
 * subscriptions is two deliveries, for one subscription twice is a repeat.
 */
function record(r: Receiver, text: string, recipient: RegExp): void {
  r.count++;
  const item = itemKeyIn(text);
  if (!item) return;
  const key = `${item}|${recipient.exec(text)?.[1] ?? ''}`;
  if (r.seen.has(key)) r.repeats++;
  else {
    r.seen.add(key);
    if (!r.delivered.has(item)) r.delivered.set(item, Date.now());
  }
}

/** Answers 200 to every POST and records the item its JSON names. */
export async function startWebhookReceiver(): Promise<Receiver> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      record(r, Buffer.concat(chunks).toString('utf8'), /"subscription":"([^"]+)"/);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  server.on('connection', () => r.connections++);
  const r = receiverState(() => closeServer(server));
  r.url = `${await listen(server)}/hook`;
  return r;
}

/**
 * Enough SMTP for a sender (EHLO with PIPELINING, MAIL, RCPT, DATA, RSET, NOOP, QUIT), no
 * authentication or TLS. The message text is kept only long enough to find the item it names
 * (quoted-printable soft breaks undone, base64 bodies decoded).
 */
export async function startSmtpSink(): Promise<Receiver> {
  const sockets = new Set<Socket>();
  const server: TcpServer = createTcpServer((socket) => {
    r.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffer = '';
    let data: string[] | undefined;
    socket.write('220 sink ESMTP\r\n');
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const replies: string[] = [];
      for (;;) {
        if (data) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) {
            // Keep the tail: the terminator may span two chunks.
            if (buffer.length > 4) {
              data.push(buffer.slice(0, -4));
              buffer = buffer.slice(-4);
            }
            break;
          }
          data.push(buffer.slice(0, end));
          buffer = buffer.slice(end + 5);
          const raw = data.join('');
          record(r, `${messageText(raw)}\n${/^To: .*$/im.exec(raw)?.[0] ?? ''}`, /^To: (.*)$/im);
          data = undefined;
          replies.push('250 2.0.0 queued');
          continue;
        }
        const nl = buffer.indexOf('\r\n');
        if (nl < 0) break;
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') replies.push('250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 52428800');
        else if (verb === 'HELO') replies.push('250 sink');
        else if (verb === 'DATA') {
          data = [];
          replies.push('354 go ahead');
        } else if (verb === 'QUIT') {
          socket.end('221 bye\r\n');
          return;
        } else replies.push('250 ok');
      }
      if (replies.length) socket.write(`${replies.join('\r\n')}\r\n`);
    });
  });
  const r = receiverState(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `smtp://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return r;
}

function messageText(raw: string): string {
  const plain = raw.replace(/=\r\n/g, '');
  if (itemKeyIn(plain)) return plain;
  const decoded = [...raw.matchAll(/(?:^|\r\n)\r\n((?:[A-Za-z0-9+/=]{1,76}\r\n)+)/g)].map((m) => Buffer.from(m[1]!.replace(/\r\n/g, ''), 'base64').toString('utf8'));
  return decoded.join('\n');
}

async function listen(server: Server): Promise<string> {
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
