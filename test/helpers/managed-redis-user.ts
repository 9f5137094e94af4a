// A process that uses the managed Redis of a data folder (argv[2]) until its stdin closes: prints
// {"url", "pid"} as one line when it has it, leaves (stop()) at the end of stdin, then exits.

import { openManagedRedis } from '../../src/queue/managed-redis.js';

const managed = await openManagedRedis(process.argv[2] as string);
process.stdout.write(`${JSON.stringify({ url: managed.url, pid: managed.pid })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void managed.stop().then(() => process.exit(0));
});
