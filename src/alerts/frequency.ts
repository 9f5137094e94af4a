// How often a reader wants news, in the words of the subscribe page and the API — immediate,
// daily or weekly at a time of day in a time zone — and its translation to and from the config
// shape (delivery + digest cron). A YAML digest whose cron is neither daily nor weekly is
// reported as `custom` with its cron, never rewritten.

import { DIGEST_SHORTCUTS, type SubscriptionConfig } from '../config/schema.js';

export const FREQUENCIES = ['immediate', 'daily', 'weekly'] as const;
export type Frequency = (typeof FREQUENCIES)[number];

export const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface Schedule {
  frequency: Frequency;
  /** "HH:MM", 24-hour, for daily and weekly. */
  time: string;
  /** For weekly. */
  day: Weekday;
  timezone: string;
}

export interface ScheduleView {
  frequency: Frequency | 'custom';
  time?: string;
  day?: Weekday;
  timezone: string;
  /** For `custom`: the digest's cron expression. */
  cron?: string;
}

export const DEFAULT_TIME = '08:00';
export const DEFAULT_DAY: Weekday = 'monday';

export const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** The delivery fields of a subscription with this schedule. */
export function deliveryOf(s: Schedule): Pick<SubscriptionConfig, 'delivery' | 'digest' | 'timezone'> {
  if (s.frequency === 'immediate') return { delivery: 'immediate', digest: undefined, timezone: s.timezone };
  const [, hour, minute] = TIME_OF_DAY.exec(s.time) ?? [undefined, '08', '00'];
  const dow = s.frequency === 'weekly' ? String(WEEKDAYS.indexOf(s.day)) : '*';
  return { delivery: 'digest', digest: { cron: `${Number(minute)} ${Number(hour)} * * ${dow}` }, timezone: s.timezone };
}

/** The schedule a subscription's delivery fields describe. */
export function scheduleOf(sub: Pick<SubscriptionConfig, 'delivery' | 'digest' | 'timezone'>): ScheduleView {
  if (sub.delivery === 'immediate') return { frequency: 'immediate', timezone: sub.timezone };
  const digest = sub.digest ?? 'daily';
  const cron = typeof digest === 'string' ? DIGEST_SHORTCUTS[digest] : digest.cron;
  const timezone = typeof digest === 'string' ? sub.timezone : (digest.timezone ?? sub.timezone);
  const m = /^(\d{1,2}) (\d{1,2}) \* \* (\*|[0-6])$/.exec(cron.trim());
  if (!m) return { frequency: 'custom', cron, timezone };
  const time = `${m[2]!.padStart(2, '0')}:${m[1]!.padStart(2, '0')}`;
  return m[3] === '*' ? { frequency: 'daily', time, timezone } : { frequency: 'weekly', time, day: WEEKDAYS[Number(m[3])], timezone };
}

/** "immediately", "daily at 08:00 (Europe/Kyiv)", "weekly on monday at 08:00 (UTC)", "on cron 0 * * * * (UTC)". */
export function describeSchedule(view: ScheduleView): string {
  switch (view.frequency) {
    case 'immediate':
      return 'immediately';
    case 'daily':
      return `daily at ${view.time} (${view.timezone})`;
    case 'weekly':
      return `weekly on ${view.day} at ${view.time} (${view.timezone})`;
    default:
      return `on cron ${view.cron} (${view.timezone})`;
  }
}
