import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

const ADMIN_PREFIX = '/admin/';
const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * The simulator's admin routes (pins, reports, faults, ticks, close-day) move prices and fills:
 * they answer only a caller with `Authorization: Bearer <EXCHANGE_ADMIN_TOKEN>`. Without a token
 * configured they do not exist (404), like any route the simulator lacks; a missing or wrong token
 * gets 401 and changes nothing. The check goes by the route that matched, so no spelling of the
 * path (percent-encoding, a trailing slash) gets around it, and a new admin route is covered too.
 */
export function adminGuard(token: string | undefined): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  const expected = token === undefined ? undefined : digest(token);
  return async (request, reply) => {
    if (!request.routeOptions.url?.startsWith(ADMIN_PREFIX)) return undefined;
    if (expected === undefined) return reply.code(404).send({ error: 'not_found' });
    const header = request.headers.authorization;
    const given = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
    // Digests of equal length, compared in constant time: the answer's timing says nothing of the token.
    if (given === undefined || !timingSafeEqual(digest(given), expected)) return reply.code(401).send({ error: 'unauthorized' });
    return undefined;
  };
}
