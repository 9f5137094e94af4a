// The BullMQ dashboard (bull-board) at /admin/queues for the web role: every queue's jobs, with
// retry and remove. It can change the queues, so it answers only to the admin token — as
// `Authorization: Bearer $ADMIN_TOKEN`, or as the password of HTTP Basic auth (any user name), which
// a browser asks for once and then sends with each of the dashboard's own requests. Without
// ADMIN_TOKEN the dashboard is off (404 saying how to turn it on), and bull-board is not even
// loaded (it is imported only when needed, so that no other command pays for it).

import { createHash, timingSafeEqual } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Queues } from '../queue/context.js';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

export async function registerQueueDashboard(app: FastifyInstance, options: { queues: Queues; adminToken?: string }): Promise<void> {
  const { adminToken } = options;
  if (!adminToken) {
    const off = async (_request: FastifyRequest, reply: FastifyReply) =>
      reply.status(404).send({ error: 'The queue dashboard is off on this server: set ADMIN_TOKEN in its environment to turn it on.' });
    app.get(QUEUE_DASHBOARD_PATH, off);
    app.get(`${QUEUE_DASHBOARD_PATH}/*`, off);
    return;
  }
  const [{ createBullBoard }, { BullMQAdapter }, { FastifyAdapter }] = await Promise.all([
    import('@bull-board/api'),
    import('@bull-board/api/bullMQAdapter'),
    import('@bull-board/fastify'),
  ]);
  const board = new FastifyAdapter();
  board.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: (Object.values(options.queues) as Queue[]).map((q) => new BullMQAdapter(q)),
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'Newswatch' } },
  });
  void app.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      if (carriesToken(request.headers.authorization, adminToken)) return;
      await reply
        .status(401)
        .header('www-authenticate', 'Basic realm="Newswatch admin", charset="UTF-8"')
        .send({ error: 'This needs the admin token: send "Authorization: Bearer <ADMIN_TOKEN>", or give it as the password when the browser asks.' });
    });
    await scope.register(board.registerPlugin(), { prefix: QUEUE_DASHBOARD_PATH });
  });
}

/** Whether an Authorization header carries the token (Bearer, or Basic with it as password). */
export function carriesToken(header: string | undefined, token: string): boolean {
  const [scheme, value] = (header ?? '').split(' ', 2);
  let given: string | undefined;
  if (scheme?.toLowerCase() === 'bearer') given = value;
  else if (scheme?.toLowerCase() === 'basic' && value) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    given = decoded.slice(decoded.indexOf(':') + 1);
  }
  // Compared as digests: equal length, constant time.
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return given !== undefined && timingSafeEqual(digest(given), digest(token));
}
