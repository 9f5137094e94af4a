// Sends rendered emails: through SMTP_URL with nodemailer, or, without one, into an outbox
// directory as .eml files so a new user sees what would have been sent. Outbox files are named
// by Message-ID, so a retried delivery overwrites instead of adding a second copy. SMTP goes
// through a pool of kept-open connections (PIPELINING where the server offers it): connecting,
// STARTTLS and AUTH per email cost more than the email.

import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type { RenderedEmail } from './render-email.js';

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
  const shown = new URL(smtpUrl);
  return {
    target: `${shown.protocol}//${shown.host}`,
    async send(to, email) {
      const info = await transport.sendMail({ from, to, ...email });
      return `smtp ${String(info.response ?? '')}`.trim();
    },
    close: () => transport.close(),
  };
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
