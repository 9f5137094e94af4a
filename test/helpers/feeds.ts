// Small RSS documents for integration tests, dated now so the first-poll age window admits them.

export interface FeedItem {
  guid: string;
  title: string;
  link: string;
  description: string;
  published?: Date;
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function rss(items: FeedItem[], title = 'Test Wire'): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>${escapeXml(title)}</title><link>http://example.invalid/</link><language>en</language>
${items
  .map(
    (i) => `<item><guid>${escapeXml(i.guid)}</guid><title>${escapeXml(i.title)}</title><link>${escapeXml(i.link)}</link>
<description>${escapeXml(i.description)}</description><pubDate>${(i.published ?? new Date()).toUTCString()}</pubDate></item>`,
  )
  .join('\n')}
</channel></rss>`;
}

/** Distinct vocabulary per story, so that no two are taken for copies of one story. */
export const STORY_TOPICS = [
  'harbour cranes idle dockers strike',
  'railway bridge repairs engineers',
  'school reopening teachers heating',
  'hospital generators diesel supply',
  'farmers harvest wheat exports',
  'artillery duel border villages',
  'drone debris apartment block',
  'prisoner exchange families reunited',
  'power station turbines repaired',
  'refugees return western regions',
  'sanctions package banks frozen',
  'parliament vote budget defence',
];
