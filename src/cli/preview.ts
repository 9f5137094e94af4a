// `newswatch preview SUBSCRIPTION`: renders the subscription's next digest, as it stands now,
// to HTML, text and .eml files under $NEWSWATCH_DATA/preview, without sending or draining it.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { Logger } from 'pino';
import { DigestStore } from '../alerts/digest-store.js';
import { renderDigestEmail } from '../alerts/render-email.js';
import { subscriptionRuleIds } from '../alerts/subscriptions.js';
import { emailLinks } from '../alerts/manage.js';
import { hashId } from '../queue/jobs.js';
import { CliError, type GlobalOptions } from './common.js';
import { openRuntime } from './runtime.js';

export async function previewCommand(opts: GlobalOptions, env: NodeJS.ProcessEnv, log: Logger, subscriptionId: string | undefined): Promise<number> {
  if (!subscriptionId) throw new CliError('preview needs a subscription id', 2);
  const rt = await openRuntime(opts, env, log);
  try {
    const { ctx } = rt.pipeline;
    await ctx.directory.ready;
    const sub = ctx.directory.subscription(subscriptionId);
    if (!sub) throw new CliError(`no subscription "${subscriptionId}" (\`newswatch subscriptions\` lists them)`, 1);
    if (sub.delivery !== 'digest') throw new CliError(`subscription "${subscriptionId}" is delivered immediately; preview shows digests`, 1);
    const all = await new DigestStore(ctx.redis, ctx.keys, ctx.settings.dedupWindowMs).peek(sub.id);
    if (all.length === 0) {
      process.stdout.write(`The next digest for "${sub.id}" is empty so far; nothing would be sent.\n`);
      return 0;
    }
    const time = (e: (typeof all)[number]) => Date.parse(e.article.published ?? e.matchedAt) || 0;
    const entries = all.sort((a, b) => time(b) - time(a)).slice(0, sub.maxPerDigest);
    const ruleIds = subscriptionRuleIds(sub);
    const email = renderDigestEmail(
      {
        subscriptionId: sub.id,
        digestId: `preview-${hashId(sub.id, String(Date.now()))}`,
        entries,
        omitted: all.length - entries.length,
        ruleOrder: ruleIds,
        ruleNames: new Map(ruleIds.map((id) => [id, ctx.directory.ruleName(id)])),
      },
      await emailLinks(ctx, sub),
    );
    const dir = join(opts.dataDir, 'preview');
    await mkdir(dir, { recursive: true });
    const base = join(dir, sub.id);
    const raw = await nodemailer
      .createTransport({ streamTransport: true, buffer: true, newline: 'unix' })
      .sendMail({ from: ctx.settings.mailFrom, to: sub.email, ...email });
    await writeFile(`${base}.html`, email.html);
    await writeFile(`${base}.txt`, email.text);
    await writeFile(`${base}.eml`, raw.message as Buffer);
    process.stdout.write(`${email.subject}\nWritten: ${base}.html, ${base}.txt, ${base}.eml\n`);
    return 0;
  } finally {
    await rt.shutdown();
  }
}
