// Rendering of operator notices (pure): email, our JSON, Slack and Discord.
import { describe, expect, it } from 'vitest';
import { noticePayload, renderNoticeEmail } from '../../src/alerts/operator-notice.js';
import { describeDelivery, OPERATOR, type OperatorNotice } from '../../src/queue/jobs.js';

const failing: OperatorNotice = {
  kind: 'notice',
  subscriptionId: OPERATOR,
  channel: 'email',
  event: 'feed.failing',
  feed: { id: 'wire', url: 'https://feeds.example.org/wire.xml', title: 'Wire <World>' },
  failingSince: '2026-11-30T09:00:00.000Z',
  failures: 7,
  error: 'https://feeds.example.org/wire.xml: HTTP 500',
  at: '2026-12-01T09:00:00.000Z',
};
const recovered: OperatorNotice = { ...failing, event: 'feed.recovered', error: undefined, at: '2026-12-01T10:00:00.000Z' };

describe('operator notices', () => {
  it('emails what failed, since when, the last error and what to do, HTML escaped', () => {
    const mail = renderNoticeEmail(failing, 'n-1');
    expect(mail.subject).toBe('Newswatch: feed "wire" has been failing since 2026-11-30T09:00:00.000Z');
    expect(mail.text).toContain('The feed wire (Wire <World>) has failed 7 time(s) in a row since 2026-11-30T09:00:00.000Z.');
    expect(mail.text).toContain('Last error: https://feeds.example.org/wire.xml: HTTP 500');
    expect(mail.text).toContain('update feeds.yaml');
    expect(mail.html).toContain('Wire &lt;World&gt;');
    expect(mail.html).not.toContain('<World>');
    expect(mail.messageId).toBe('<n-1@newswatch.local>');
  });

  it('says when the feed answered again and after how many failures', () => {
    const mail = renderNoticeEmail(recovered, 'n-2');
    expect(mail.subject).toBe('Newswatch: feed "wire" has recovered');
    expect(mail.text).toContain('answered again at 2026-12-01T10:00:00.000Z, after 7 failed poll(s) since 2026-11-30T09:00:00.000Z');
  });

  it('posts versioned JSON, or the same sentences to Slack (escaped) and Discord (no mentions)', () => {
    expect(noticePayload(failing, 'n-1', 'standard')).toEqual({
      type: 'feed.failing',
      version: 1,
      id: 'n-1',
      feed: failing.feed,
      failingSince: failing.failingSince,
      failures: 7,
      error: failing.error,
      at: failing.at,
    });
    expect((noticePayload(failing, 'n-1', 'slack') as { text: string }).text).toContain('Wire &lt;World&gt;');
    const discord = noticePayload(recovered, 'n-2', 'discord') as { content: string; allowed_mentions: unknown };
    expect(discord.content).toMatch(/^Newswatch: feed "wire" has recovered\n/);
    expect(discord.allowed_mentions).toEqual({ parse: [] });
  });

  it('is named in failed lists and summaries by feed and event', () => {
    expect(describeDelivery(failing)).toBe('feed "wire" failing since 2026-11-30T09:00:00.000Z (email)');
    expect(describeDelivery({ ...recovered, channel: 'webhook' })).toBe('feed "wire" recovered (webhook)');
  });
});
