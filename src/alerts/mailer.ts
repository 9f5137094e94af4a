// Sends rendered emails: through SMTP_URL with nodemailer, or, without one, into an outbox
// directory as .eml files so a new user sees what would have been sent. Outbox files are named
// by Message-ID, so a retried delivery overwrites instead of adding a second copy. SMTP goes
// through a pool of kept-open connections (PIPELINING where the server offers it): connecting,
// STARTTLS and AUTH per email cost more than the email. Each SMTP message is composed here into
// one buffer (mimeMessage) and handed to nodemailer's SMTP transport whole, not through sendMail,
// which would wrap the composed message in a MIME tree and a three-stage stream once more
// (transportMail says what the transport reads, and what it must be given fresh per send).

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import nodemailer, { type Transporter } from 'nodemailer';
import { foldLines } from 'nodemailer/lib/mime-funcs';
import MimeNode from 'nodemailer/lib/mime-node';
import type { RenderedEmail } from './render-email.js';
import { cached } from '../bounded-cache.js';

export interface Mailer {
  /** Where mail goes, for logs: "smtp://host:port" or the outbox path. */
  readonly target: string;
  send(to: string, email: RenderedEmail): Promise<string>;
  close(): void;
}

export interface MailerOptions {
  smtpUrl?: string;
  outboxDir: string;
  from: string;
  /** SMTP connections open at once (settings.yaml delivery.smtpConnections); default 5. */
  connections?: number;
}

/** Messages sent over one pooled connection before it is replaced (servers limit a session). */
const MESSAGES_PER_CONNECTION = 100;

export function createMailer(options: MailerOptions): Mailer {
  return options.smtpUrl ? smtpMailer(options.smtpUrl, options.from, options.connections ?? 5) : outboxMailer(options.outboxDir, options.from);
}

function smtpMailer(smtpUrl: string, from: string, connections: number): Mailer {
  // Keys in SMTP_URL's query win over these (`?pool=false` sends one connection per email).
  const transport: Transporter = nodemailer.createTransport({ url: smtpUrl, pool: true, maxConnections: connections, maxMessages: MESSAGES_PER_CONNECTION });
  const direct = smtpTransportOf(transport);
  const shown = new URL(smtpUrl);
  return {
    target: `${shown.protocol}//${shown.host}`,
    async send(to, email) {
      const raw = mimeMessage(from, to, email);
      const info = direct
        ? await new Promise<{ response?: string }>((resolve, reject) => direct.send(transportMail(from, to, email.messageId, raw), (err, sent) => (err ? reject(err) : resolve(sent ?? {}))))
        : // The Message-ID given, so that nodemailer does not draw five random numbers for one it would not use.
          await transport.sendMail({ envelope: { from, to }, raw, messageId: email.messageId });
      return `smtp ${String(info.response ?? '')}`.trim();
    },
    close: () => transport.close(),
  };
}

/**
 * A message as nodemailer's SMTP transports (pooled or not) read one from sendMail: `send(mail,
 * done)`, the transport API of its plugins, reading the envelope, Message-ID and content of
 * `mail.message` and options of `mail.data` (none here). Handed over directly, a message already
 * composed skips sendMail's MailMessage, MailComposer and MimeNode, its plugin stages and the
 * PassThrough, newline transform and stream pipeline it reads the message through.
 */
interface TransportMail {
  data: Record<string, never>;
  message: {
    getEnvelope(): Envelope;
    messageId(): string;
    getHeader(key: string): string | undefined;
    createReadStream(): Readable;
  };
}

interface Envelope {
  from: string;
  to: string[];
}

type SmtpTransport = { name: string; send(mail: TransportMail, done: (err: Error | null, info?: { response?: string }) => void): void };

/** The transport object of nodemailer's SMTP transports, known to read no more than TransportMail; otherwise sendMail sends. */
function smtpTransportOf(transport: Transporter): SmtpTransport | undefined {
  const inner = (transport as unknown as { transporter?: Partial<SmtpTransport> }).transporter;
  return typeof inner?.send === 'function' && (inner.name === 'SMTP (pool)' || inner.name === 'SMTP') ? (inner as SmtpTransport) : undefined;
}

/**
 * Both made anew at each call, as a MimeNode of sendMail's would be for each message. A
 * connection keeps the envelope it is given as the state of its transaction (the recipients
 * still to send, accepted and refused, the error of MAIL FROM), and the pool runs several at
 * once: one envelope shared by two sends lost a recipient's acceptance and sent a message without
 * its content (15b6645). The pool reads the message a second time for a message it puts back in
 * its queue, and puts it back only when not a byte of it was read (a reused connection the
 * server closed first), which a stream tells and a Buffer does not.
 */
function transportMail(from: string, to: string, messageId: string, raw: Buffer): TransportMail {
  const envelope = envelopeOf(from, to);
  return {
    data: {},
    message: {
      getEnvelope: () => ({ from: envelope.from, to: [...envelope.to] }),
      messageId: () => messageId,
      getHeader: (key) => (key.toLowerCase() === 'message-id' ? messageId : undefined),
      createReadStream: () =>
        new Readable({
          read() {
            this.push(raw);
            this.push(null);
          },
        }),
    },
  };
}

/**
 * MAIL FROM and RCPT TO, parsed from the addresses as sendMail parses them ("Name <address>" gives
 * the address, an internationalised domain its punycode), by value. Bounded.
 */
const envelopes = new Map<string, Readonly<Envelope>>();

function envelopeOf(from: string, to: string): Readonly<Envelope> {
  return cachedByAddress(envelopes, `${from}\u0000${to}`, () => {
    const parsed = new MimeNode().setEnvelope({ from, to }).getEnvelope();
    return { from: parsed.from || '', to: [...parsed.to] };
  });
}

/** nodemailer's header encoding (RFC 2047 words, addresses, IDN, no CR/LF), one node for every message. */
const headerEncoder = new MimeNode();

/**
 * From and To as encoded, by value: a worker writes to the same addresses again and again, and
 * parsing and encoding an address list was a third of composing a message. Bounded.
 */
const addressHeaders = new Map<string, string>();
const ADDRESS_HEADERS_MAX = 10_000;

/** What `cache` holds under `key`, made and kept when missing; bounded by ADDRESS_HEADERS_MAX. */
const cachedByAddress = <V>(cache: Map<string, V>, key: string, make: () => V): V => cached(cache, key, ADDRESS_HEADERS_MAX, make);

/**
 * Multipart boundaries: a random part drawn once per process and a counter. Unique is all a
 * boundary must be here (the parts are base64, which holds no "-"), and a random draw per
 * message (with the five nodemailer drew for a Message-ID it did not use) was about a tenth
 * of the CPU of sending one.
 */
const boundaryBase = `nw-${randomBytes(8).toString('hex')}-`;
let boundaryCount = 0;

/** Bytes per line of base64: 57 bytes are 76 characters, the longest line RFC 2045 allows. */
const BASE64_LINE_BYTES = 57;

/**
 * Text in canonical form (CRLF line breaks, RFC 2046), in base64 lines of 76 characters: each
 * line encoded from its own 57 bytes, natively, where splitting the whole encoding with a regular
 * expression cost more than the encoding.
 */
function base64Lines(text: string): string {
  const bytes = Buffer.from(text.replace(/\r?\n/g, '\r\n'));
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += BASE64_LINE_BYTES) lines.push(bytes.toString('base64', at, at + BASE64_LINE_BYTES));
  return lines.join('\r\n');
}

/**
 * An email as one MIME message: headers encoded as nodemailer encodes them and folded at 76,
 * then a text and an HTML part in base64. Why not nodemailer's composer: it streams the message
 * to the socket in about 12 writes and spends about twice the CPU per email (quoted-printable
 * is a loop in JavaScript, base64 is native); composed here, the pool sends it in 5 writes.
 */
export function mimeMessage(from: string, to: string, email: RenderedEmail, date = new Date()): Buffer {
  // Base64 never holds a "-", so no line of a part can look like this boundary.
  const boundary = boundaryBase + (boundaryCount++).toString(36);
  const header = (key: string, value: string | Date) => foldLines(`${key}: ${headerEncoder.encodeHeaderValue(key, value)}`, 76);
  const addressHeader = (key: 'From' | 'To', value: string) => cachedByAddress(addressHeaders, `${key}\u0000${value}`, () => header(key, value));
  const part = (type: string, body: string) => [`--${boundary}`, `Content-Type: ${type}; charset=utf-8`, 'Content-Transfer-Encoding: base64', '', base64Lines(body)];
  const lines = [
    addressHeader('From', from),
    addressHeader('To', to),
    header('Subject', email.subject),
    header('Message-ID', email.messageId),
    header('Date', date),
    ...Object.entries(email.headers).map(([key, value]) => header(key, value)),
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    '',
    ...part('text/plain', email.text),
    ...part('text/html', email.html),
    `--${boundary}--`,
    '',
  ];
  return Buffer.from(lines.join('\r\n'));
}

function outboxMailer(dir: string, from: string): Mailer {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    target: dir,
    async send(to, email) {
      const info = await transport.sendMail({ from, to, ...email });
      await mkdir(dir, { recursive: true });
      const name = createHash('sha256').update(email.messageId).digest('hex').slice(0, 16);
      const path = join(dir, `${name}.eml`);
      await writeFile(path, info.message as Buffer);
      return path;
    },
    close: () => transport.close(),
  };
}
