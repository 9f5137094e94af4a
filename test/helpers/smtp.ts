// A real SMTP server (smtp-server) on 127.0.0.1 that keeps every message, parsed with
// mailparser so tests can assert on subject, text and HTML parts.

import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface TestSmtp {
  url: string;
  messages: ParsedMail[];
  /** Every RCPT TO address the server was given, accepted or not. */
  recipients: string[];
  /** Messages held (holdAfter) whose clients are still connected. */
  held(): number;
  /** Accepts the held messages and every later one at once. */
  release(): void;
  close(): Promise<void>;
}

/**
 * `holdAfter: n` accepts the first n messages at once and holds every later one (its data
 * received, no answer yet) until `release()`; a held message whose client went away meanwhile was
 * never accepted and is not recorded, as a real server would not deliver it. `held()` counts the
 * held messages whose clients are still connected.
 * `login` makes AUTH required (over plain text, as this server has no TLS) with that user name
 * and password.
 */
export async function startSmtpServer(
  options: {
    holdAfter?: number;
    login?: { user: string; pass: string };
    /** Recipients refused at RCPT TO with this code and text, e.g. 550 "mailbox unavailable". */
    refuse?: Record<string, { code: number; message: string }>;
  } = {},
): Promise<TestSmtp> {
  const messages: ParsedMail[] = [];
  const recipients: string[] = [];
  const closed = new Set<string>();
  let holdAfter = options.holdAfter ?? Infinity;
  // Held messages by session (a session sends one message at a time): accept() records and answers.
  const held = new Map<string, () => void>();
  const server = new SMTPServer({
    authOptional: !options.login,
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      const { login } = options;
      if (login && auth.username === login.user && auth.password === login.pass) callback(null, { user: auth.username });
      else callback(new Error('535 authentication failed'));
    },
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      recipients.push(address.address);
      const refusal = options.refuse?.[address.address];
      if (!refusal) return callback();
      callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
    },
    onClose(session) {
      closed.add(session.id);
      held.delete(session.id);
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          if (closed.has(session.id)) return;
          if (messages.length < holdAfter) {
            messages.push(mail);
            callback();
          } else held.set(session.id, () => (messages.push(mail), callback()));
        })
        .catch(callback);
    },
  });
  // A client killed mid-message resets its connection; a real server logs that and goes on (an
  // 'error' event without a listener would throw in the test process instead).
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    recipients,
    held: () => held.size,
    release() {
      holdAfter = Infinity;
      for (const accept of held.values()) accept();
      held.clear();
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The messages the server took for one address (the To header's text). */
export const mailsTo = (smtp: TestSmtp, address: string): ParsedMail[] => smtp.messages.filter((m) => (m.to && 'text' in m.to ? m.to.text : '') === address);

/** Waits (up to `timeoutMs`) until `count` messages to `address` have arrived. */
export async function waitForMail(smtp: TestSmtp, address: string, count: number, timeoutMs = 60_000): Promise<ParsedMail[]> {
  const deadline = Date.now() + timeoutMs;
  while (mailsTo(smtp, address).length < count) {
    if (Date.now() > deadline) throw new Error(`expected ${count} emails to ${address} within ${timeoutMs} ms, got ${mailsTo(smtp, address).length}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return mailsTo(smtp, address);
}

/** A header as it was sent (unfolded, not parsed), or '' when absent. */
export const rawHeader = (mail: ParsedMail, key: string): string => mail.headerLines.find((h) => h.key === key)?.line.replace(/^[^:]+:\s*/, '') ?? '';

/** The HTTP(S) URL of an email's List-Unsubscribe header (a mailto beside it is skipped). */
export function listUnsubscribeUrl(mail: ParsedMail): string {
  const found = /<(https?:[^>]+)>/.exec(rawHeader(mail, 'list-unsubscribe'));
  if (!found) throw new Error(`no HTTP List-Unsubscribe URL in: ${rawHeader(mail, 'list-unsubscribe') || '(no header)'}`);
  return found[1]!;
}

/** The first link to `/path?…` in an email's text part. */
export function linkIn(mail: ParsedMail, path: string): string {
  const found = new RegExp(`https?://[^\\s"<>]+/${path}\\?[^\\s"<>]+`).exec(mail.text ?? '');
  if (!found) throw new Error(`no /${path} link in: ${mail.text}`);
  return found[0];
}
