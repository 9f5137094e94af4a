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
  close(): Promise<void>;
}

/**
 * `acceptDelayMs` holds each message that long before answering 250; a message whose client went
 * away meanwhile was never accepted and is not recorded, as a real server would not deliver it.
 * `login` makes AUTH required (over plain text, as this server has no TLS) with that user name
 * and password.
 */
export async function startSmtpServer(
  options: {
    acceptDelayMs?: number;
    login?: { user: string; pass: string };
    /** Recipients refused at RCPT TO with this code and text, e.g. 550 "mailbox unavailable". */
    refuse?: Record<string, { code: number; message: string }>;
  } = {},
): Promise<TestSmtp> {
  const messages: ParsedMail[] = [];
  const recipients: string[] = [];
  const closed = new Set<string>();
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
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then(async (mail) => {
          if (options.acceptDelayMs) await new Promise((r) => setTimeout(r, options.acceptDelayMs));
          if (!closed.has(session.id)) messages.push(mail);
          callback();
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
