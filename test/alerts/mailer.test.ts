// SMTP_URL with TLS and authentication, against a real smtp-server on 127.0.0.1 using its
// built-in self-signed certificate: STARTTLS upgrade, implicit TLS (smtps://), URL-encoded
// credentials, a wrong password, and certificate checking on by default.

import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { createMailer, mimeMessage } from '../../src/alerts/mailer.js';
import type { RenderedEmail } from '../../src/alerts/render-email.js';
import { rawHeader } from '../helpers/smtp.js';

const USER = 'desk@example.org';
const PASS = 'p@ss:w/rd';

interface Received {
  mail: ParsedMail;
  secure: boolean;
  user: unknown;
  /** MAIL FROM and RCPT TO, as the server was told them. */
  envelope: { from: string | false; to: string[] };
}

const servers: SMTPServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

async function start(options: SMTPServerOptions): Promise<{ port: number; received: Received[] }> {
  const received: Received[] = [];
  const server = new SMTPServer({
    logger: false,
    ...options,
    onAuth(auth, _session, callback) {
      if (auth.username === USER && auth.password === PASS) callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          const { mailFrom, rcptTo } = session.envelope;
          received.push({ mail, secure: session.secure, user: session.user, envelope: { from: mailFrom && mailFrom.address, to: rcptTo.map((r) => r.address) } });
          callback();
        })
        .catch(callback);
    },
  });
  // A client that refuses the certificate closes mid-handshake; the server reports it as an error.
  server.on('error', () => {});
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.server.address() as AddressInfo).port, received };
}

const email: RenderedEmail = { subject: 'Ceasefire talks', text: 'Kyiv ready for truce talks', html: '<p>Kyiv ready for truce talks</p>', messageId: '<t1@newswatch.test>', headers: {} };
const credentials = `${encodeURIComponent(USER)}:${encodeURIComponent(PASS)}`;
// The test server's certificate is self-signed, so these URLs turn certificate checks off.
const INSECURE = 'tls.rejectUnauthorized=false';

async function send(smtpUrl: string): Promise<string> {
  const mailer = createMailer({ smtpUrl, outboxDir: '/nonexistent', from: 'Newswatch <nw@test.local>' });
  try {
    return await mailer.send('desk@example.org', email);
  } finally {
    mailer.close();
  }
}

describe('SMTP_URL with TLS and authentication', () => {
  it('upgrades with STARTTLS when offered and logs in with URL-encoded credentials', async () => {
    const { port, received } = await start({ authOptional: false });
    await send(`smtp://${credentials}@127.0.0.1:${port}?${INSECURE}`);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ secure: true, user: USER });
    expect(received[0]!.mail.subject).toBe('Ceasefire talks');
  });

  it('speaks TLS from the start with smtps://', async () => {
    const { port, received } = await start({ secure: true, authOptional: false });
    await send(`smtps://${credentials}@127.0.0.1:${port}?${INSECURE}`);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ secure: true, user: USER });
  });

  it('fails the delivery (to be retried) on a wrong password, sending nothing', async () => {
    const { port, received } = await start({ authOptional: false });
    await expect(send(`smtp://${encodeURIComponent(USER)}:wrong@127.0.0.1:${port}?${INSECURE}`)).rejects.toThrow(/Invalid username or password|535/);
    expect(received).toHaveLength(0);
  });

  it('checks the server certificate unless told not to', async () => {
    const { port, received } = await start({ secure: true, authOptional: true });
    await expect(send(`smtps://127.0.0.1:${port}`)).rejects.toThrow(/certificate/i);
    expect(received).toHaveLength(0);
  });
});

describe('the message', () => {
  it('goes to the envelope of its sender address and recipient, with its subject, Message-ID, List-Unsubscribe headers and both parts', async () => {
    const { port, received } = await start({ authOptional: true, disabledCommands: ['STARTTLS'] });
    const mailer = createMailer({ smtpUrl: `smtp://127.0.0.1:${port}`, outboxDir: '/nonexistent', from: 'Newswatch <nw@test.local>' });
    const headers = { 'List-Unsubscribe': '<https://nw.test/u/abc>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
    try {
      await mailer.send('desk@example.org', { ...email, subject: 'Waffenstillstand – Gespräche in Kyjiw', headers });
    } finally {
      mailer.close();
    }
    expect(received).toHaveLength(1);
    const { mail, envelope } = received[0]!;
    expect(envelope).toEqual({ from: 'nw@test.local', to: ['desk@example.org'] });
    expect(mail.from?.value).toEqual([{ name: 'Newswatch', address: 'nw@test.local' }]);
    expect(mail.to).toMatchObject({ text: 'desk@example.org' });
    expect(mail.subject).toBe('Waffenstillstand – Gespräche in Kyjiw');
    expect(mail.messageId).toBe('<t1@newswatch.test>');
    expect(mail.headerLines.filter((h) => h.key === 'message-id')).toHaveLength(1);
    expect(rawHeader(mail, 'list-unsubscribe')).toBe('<https://nw.test/u/abc>');
    expect(rawHeader(mail, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    expect(mail.date).toBeInstanceOf(Date);
    expect(mail.text).toBe('Kyiv ready for truce talks');
    expect(mail.html).toBe('<p>Kyiv ready for truce talks</p>');
  });
});

describe('mimeMessage', () => {
  it('keeps a CR/LF in the subject from starting a header of its own, and the subject reads back whole', async () => {
    const subject = 'Gespräche in Kyjiw\r\nBcc: someone@else.example';
    const raw = mimeMessage('nw@test.local', 'desk@example.org', { ...email, subject });
    const mail = await simpleParser(raw);
    expect(mail.bcc).toBeUndefined();
    expect(mail.subject).toBe('Gespräche in Kyjiw Bcc: someone@else.example');
  });

  it('folds a long header (within 998 characters a line) and a reader unfolds it to the same value', async () => {
    const url = `https://nw.test/unsubscribe?s=sub&t=${'a'.repeat(90)}`;
    const raw = mimeMessage('nw@test.local', 'desk@example.org', { ...email, headers: { 'List-Unsubscribe': `<${url}>, <mailto:u@nw.test?subject=unsubscribe%20sub>` } });
    const head = raw.toString('utf8').split('\r\n\r\n')[0]!;
    expect(head.split('\r\n').every((line) => line.length <= 998)).toBe(true);
    expect(rawHeader(await simpleParser(raw), 'list-unsubscribe').replace(/\r\n\s*/g, ' ')).toBe(`<${url}>, <mailto:u@nw.test?subject=unsubscribe%20sub>`);
  });

  it('gives every message a boundary of its own that no line of its parts starts with', async () => {
    const raws = [1, 2, 3].map(() => mimeMessage('nw@test.local', 'desk@example.org', email).toString('utf8'));
    const boundaries = raws.map((raw) => /boundary="([^"]+)"/.exec(raw)![1]!);
    expect(new Set(boundaries).size).toBe(3);
    for (const [i, raw] of raws.entries()) {
      const lines = raw.split('\r\n').filter((line) => line.startsWith('--'));
      expect(lines).toEqual([`--${boundaries[i]}`, `--${boundaries[i]}`, `--${boundaries[i]}--`]);
      expect((await simpleParser(raw)).text).toBe(email.text);
    }
  });

  it('writes an internationalised domain as punycode and keeps every line of the parts within 76 characters', async () => {
    const text = `${'Ein langer Absatz über den Waffenstillstand. '.repeat(20)}\nZweite Zeile`;
    const raw = mimeMessage('Newswatch <nw@test.local>', 'desk@exämple.org', { ...email, text });
    const mail = await simpleParser(raw);
    expect(rawHeader(mail, 'to')).toBe('desk@xn--exmple-cua.org');
    expect(mail.text).toBe(text);
    const body = raw.toString('utf8').split('\r\n\r\n').slice(1).join('\r\n\r\n');
    expect(body.split('\r\n').every((line) => line.length <= 76)).toBe(true);
  });
});

describe('SMTP connection pool', () => {
  const sendMany = async (smtpUrl: string, count: number, connections?: number) => {
    const mailer = createMailer({ smtpUrl, outboxDir: '/nonexistent', from: 'Newswatch <nw@test.local>', connections });
    try {
      await Promise.all(Array.from({ length: count }, (_, i) => mailer.send(`reader${i}@example.org`, { ...email, messageId: `<t${i}@newswatch.test>` })));
    } finally {
      mailer.close();
    }
  };

  it('sends many emails over a few kept-open connections, at most `connections` at once', async () => {
    let sessions = 0;
    const { port, received } = await start({ authOptional: true, disabledCommands: ['STARTTLS'], onConnect: (_s, cb) => (sessions++, cb()) });
    await sendMany(`smtp://127.0.0.1:${port}`, 30, 2);
    expect(received).toHaveLength(30);
    expect(sessions).toBeGreaterThanOrEqual(1);
    expect(sessions).toBeLessThanOrEqual(2);
  });

  it('sends many emails to one address at once over several connections, each once and whole', async () => {
    const { port, received } = await start({ authOptional: true, disabledCommands: ['STARTTLS'] });
    const mailer = createMailer({ smtpUrl: `smtp://127.0.0.1:${port}`, outboxDir: '/nonexistent', from: 'Newswatch <nw@test.local>', connections: 4 });
    const subjects = Array.from({ length: 40 }, (_, i) => `Story ${i}`);
    try {
      await Promise.all(subjects.map((subject, i) => mailer.send('Desk <desk@example.org>', { ...email, subject, messageId: `<s${i}@newswatch.test>` })));
    } finally {
      mailer.close();
    }
    expect(received.map((r) => r.mail.subject).sort()).toEqual([...subjects].sort());
    for (const { envelope, mail } of received) {
      expect(envelope).toEqual({ from: 'nw@test.local', to: ['desk@example.org'] });
      expect(mail.text).toBe(email.text);
    }
  });

  it('sends a message again over a new connection when the server closes a kept-open one (421) before taking it', async () => {
    const sessions = new Map<string, number>();
    const { port, received } = await start({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      // A session takes one message, then says it is closing (as a server with a per-session limit does).
      onMailFrom(_address, session, callback) {
        const n = (sessions.get(session.id) ?? 0) + 1;
        sessions.set(session.id, n);
        callback(n > 1 ? Object.assign(new Error('Too many messages in this session'), { responseCode: 421 }) : undefined);
      },
    });
    const mailer = createMailer({ smtpUrl: `smtp://127.0.0.1:${port}`, outboxDir: '/nonexistent', from: 'Newswatch <nw@test.local>', connections: 1 });
    try {
      for (const i of [1, 2, 3]) await mailer.send('desk@example.org', { ...email, subject: `Story ${i}`, messageId: `<r${i}@newswatch.test>` });
    } finally {
      mailer.close();
    }
    expect(received.map((r) => r.mail.subject)).toEqual(['Story 1', 'Story 2', 'Story 3']);
    expect(sessions.size).toBe(3);
  });

  it('opens one connection per email with ?pool=false in SMTP_URL', async () => {
    let sessions = 0;
    const { port, received } = await start({ authOptional: true, disabledCommands: ['STARTTLS'], onConnect: (_s, cb) => (sessions++, cb()) });
    await sendMany(`smtp://127.0.0.1:${port}?pool=false`, 5);
    expect(received).toHaveLength(5);
    expect(sessions).toBe(5);
  });
});
