import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isConnectionError, OutageLog } from '../../src/queue/outage.js';
import { recordingLogger } from '../helpers/pipeline.js';

/** A connection as ioredis shows it: a status and error/ready events. */
class Connection extends EventEmitter {
  status = 'ready';
}

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6390'), { code: 'ECONNREFUSED' });

afterEach(() => {
  vi.useRealTimers();
});

describe('OutageLog', () => {
  it('logs a loss once, reminds after 10 s then at doubling gaps, and logs the recovery once', () => {
    vi.useFakeTimers();
    const { log, lines } = recordingLogger();
    const outage = new OutageLog(log, 'redis://:secret@127.0.0.1:6390');
    const connection = new Connection();
    outage.watch(connection);
    connection.status = 'reconnecting';
    for (let second = 0; second < 75; second++) {
      connection.emit('error', refused());
      outage.error(new Error('Connection is closed.'), { queue: 'poll' }, 'worker error');
      vi.advanceTimersByTime(1_000);
    }
    connection.status = 'ready';
    connection.emit('ready');
    vi.advanceTimersByTime(2_000);
    outage.close();

    const messages = lines.map((l) => String(l.msg));
    expect(messages[0]).toBe('lost the connection to Redis (connect ECONNREFUSED 127.0.0.1:6390); retrying, work waits until it is back');
    expect(lines.filter((l) => String(l.msg).startsWith('Redis still unreachable')).map((l) => l.downForSeconds)).toEqual([10, 30, 70]);
    expect(messages.at(-1)).toMatch(/^Redis is back after 7\d s$/);
    expect(lines).toHaveLength(5);
    expect(JSON.stringify(lines)).not.toContain('secret');
  });

  it('logs errors that are not about the connection as they come', () => {
    const { log, lines } = recordingLogger();
    const outage = new OutageLog(log, 'redis://127.0.0.1:6390');
    outage.error(new Error('ERR unknown command'), { queue: 'poll' }, 'worker error');
    outage.error(new Error('ERR unknown command'), { queue: 'poll' }, 'worker error');
    expect(lines.map((l) => [l.msg, l.queue])).toEqual([
      ['worker error', 'poll'],
      ['worker error', 'poll'],
    ]);
  });

  it('tells connection errors from command errors', () => {
    expect(isConnectionError(refused())).toBe(true);
    expect(isConnectionError(new Error('Connection is closed.'))).toBe(true);
    expect(isConnectionError(new Error('ERR wrong number of arguments'))).toBe(false);
  });
});
