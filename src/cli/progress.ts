// run-once's progress on a terminal: one line redrawn in place on stderr — feeds polled of the
// total, articles processed, alerts sent — with cli-progress, cleared before the summary is
// printed. When stderr is not a terminal (a pipe, a file, CI) nothing is drawn, so the output
// scripts read (the summary on stdout, log lines on stderr) stays exactly as it was.

import { SingleBar } from 'cli-progress';

export interface RunCounts {
  feedsDone: number;
  articles: number;
  alerts: number;
}

export interface Progress {
  readonly kind: 'bar' | 'none';
  update(counts: RunCounts): void;
  stop(): void;
}

/** Where progress would be drawn: a stream and whether it is a terminal (injectable for tests). */
export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export function createProgress(totalFeeds: number, stream: ProgressStream = process.stderr, env: NodeJS.ProcessEnv = process.env): Progress {
  if (stream.isTTY !== true || env.TERM === 'dumb') return { kind: 'none', update() {}, stop() {} };
  const bar = new SingleBar({
    stream,
    format: 'Polling [{bar}] {value}/{total} feeds | {articles} articles | {alerts} alerts',
    barCompleteChar: '#',
    barIncompleteChar: '-',
    barsize: 20,
    hideCursor: true,
    clearOnComplete: true,
    // Redraw on every change too, not only on the timer: a short run should still show its counts.
    forceRedraw: true,
    fps: 10,
  });
  bar.start(totalFeeds, 0, { articles: 0, alerts: 0 });
  return {
    kind: 'bar',
    update(c) {
      bar.update(c.feedsDone, { articles: c.articles, alerts: c.alerts });
    },
    stop() {
      bar.stop();
    },
  };
}
