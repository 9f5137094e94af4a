// run-once's progress renderer: a bar only where stderr is a terminal (isTTY injected here).
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createProgress, type ProgressStream } from '../../src/cli/progress.js';

function stream(isTTY: boolean): { s: ProgressStream; text(): string } {
  let text = '';
  const s = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  }) as Writable & { isTTY?: boolean; columns?: number };
  s.isTTY = isTTY;
  s.columns = 120;
  return { s, text: () => text };
}

describe('run-once progress', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('draws feeds polled of the total, articles and alerts on a terminal, and clears the line at the end', () => {
    // The bar redraws on its own timer (10 per second); fake timers step it.
    vi.useFakeTimers();
    const { s, text } = stream(true);
    const progress = createProgress(3, s, {});
    expect(progress.kind).toBe('bar');
    vi.advanceTimersByTime(200);
    expect(text()).toContain('0/3 feeds | 0 articles | 0 alerts');
    progress.update({ feedsDone: 1, articles: 5, alerts: 0 });
    vi.advanceTimersByTime(200);
    expect(text()).toContain('1/3 feeds | 5 articles | 0 alerts');
    progress.update({ feedsDone: 3, articles: 12, alerts: 2 });
    vi.advanceTimersByTime(200);
    expect(text()).toContain('3/3 feeds | 12 articles | 2 alerts');
    const before = text().length;
    progress.stop();
    // Cleared (erase-line escape) so that the summary starts on a clean line.
    expect(text().slice(before)).toContain('\u001b[2K');
  });

  it('writes nothing when the stream is not a terminal (piped, CI), so the output stays as it was', () => {
    vi.useFakeTimers();
    const { s, text } = stream(false);
    const progress = createProgress(3, s, {});
    expect(progress.kind).toBe('none');
    progress.update({ feedsDone: 2, articles: 4, alerts: 1 });
    vi.advanceTimersByTime(1_000);
    progress.stop();
    expect(text()).toBe('');
  });

  it('writes nothing on a dumb terminal', () => {
    const { s, text } = stream(true);
    const progress = createProgress(3, s, { TERM: 'dumb' });
    expect(progress.kind).toBe('none');
    progress.update({ feedsDone: 1, articles: 0, alerts: 0 });
    progress.stop();
    expect(text()).toBe('');
  });
});
