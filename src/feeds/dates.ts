// Feed dates to ISO 8601 UTC. Feeds write RFC 822 ("Tue, 24 Nov 2026 10:00:00 +0300", named
// zones, two-digit years, no seconds), RFC 3339 / ISO 8601 (with or without a colon in the
// offset, a space for the T, basic format) and worse. A date without a zone is taken as UTC,
// never as this machine's local time; zones V8 does not know (CET, MSK, …) are mapped to
// offsets. Anything unreadable, or before 1970, is undefined.

const ZONES: Record<string, string> = {
  UT: '+0000', UTC: '+0000', GMT: '+0000', Z: '+0000', WET: '+0000', BST: '+0100', CET: '+0100', MET: '+0100',
  WEST: '+0100', CEST: '+0200', MEST: '+0200', EET: '+0200', EEST: '+0300', MSK: '+0300', MSD: '+0400', IST: '+0530',
  SGT: '+0800', HKT: '+0800', JST: '+0900', KST: '+0900', AEST: '+1000', AEDT: '+1100', NZST: '+1200', NZDT: '+1300',
  EST: '-0500', EDT: '-0400', CST: '-0600', CDT: '-0500', MST: '-0700', MDT: '-0600', PST: '-0800', PDT: '-0700',
  AKST: '-0900', AKDT: '-0800', HST: '-1000', AST: '-0400', ADT: '-0300', NST: '-0330', NDT: '-0230',
};

const ISO = /^(\d{4})-?(\d{2})-?(\d{2})(?:[T\s]+(\d{1,2}):?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const HAS_ZONE = /(?:\b(?:[A-Z]{1,5})|[+-]\d{2}:?\d{2})\s*$/i;

/** ISO 8601 UTC timestamp for a feed date, or undefined. */
export function parseFeedDate(value: string | undefined | null): string | undefined {
  const text = value?.replace(/\([^)]*\)\s*$/, '').replace(/\s+/g, ' ').trim();
  if (!text) return undefined;
  const ms = parseIso(text) ?? parseRfc822(text);
  if (ms === undefined || Number.isNaN(ms) || ms < 0) return undefined;
  return new Date(ms).toISOString();
}

function parseIso(text: string): number | undefined {
  const m = ISO.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '0', zone] = m;
  const offset = zone === undefined || /^z$/i.test(zone) ? 'Z' : zone.length === 3 ? `${zone}:00` : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const ms = Date.parse(`${y}-${mo}-${d}T${h.padStart(2, '0')}:${mi}:${s}.${frac.slice(0, 3).padEnd(3, '0')}${offset}`);
  return Number.isNaN(ms) ? undefined : ms;
}

const MONTH = /(?:^|[^a-z])(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)/i;

// Replacers of parseRfc822, made once, not per call (why: the handlers in xml-canonical.ts).
const zoneOffset = (name: string) => ZONES[name.toUpperCase()] ?? (name.length === 1 ? '+0000' : name);
const fourDigitYear = (_m: string, head: string, yy: string) => `${head}${Number(yy) < 70 ? 20 : 19}${yy}`;

function parseRfc822(text: string): number | undefined {
  // V8's lenient parser reads almost anything; insist on a month name and a day first.
  if (!MONTH.test(text) || !/\d/.test(text)) return undefined;
  // Named zones V8 does not read become offsets; a missing zone means UTC.
  let t = text.replace(/\b([A-Z]{1,5})$/i, zoneOffset);
  if (!HAS_ZONE.test(t) || /\b(?:AM|PM)$/i.test(t)) t = `${t} +0000`;
  // Two-digit years: "4 Nov 26" is 2026, "4 Nov 98" is 1998.
  t = t.replace(/^((?:[A-Za-z]+,?\s*)?\d{1,2}[\s-]+[A-Za-z]+\.?[\s-]+)(\d{2})(?=\s)/, fourDigitYear);
  if (!/\b\d{4}\b/.test(t)) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}
