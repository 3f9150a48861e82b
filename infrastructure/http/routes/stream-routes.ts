import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../authentication.ts';
import { authenticatedErrors } from '../schemas/contract-schemas.ts';
import type { TradingDependencies } from './trading-dependencies.ts';

/** Tickets for the SSE price stream (api.md, Price socket: SSE alternative). */
export const streamRoutes: FastifyPluginAsyncZod<TradingDependencies> = async (app, deps) => {
  app.post(
    '/v1/stream/tickets',
    {
      config: { roles: ['trader', 'auditor', 'admin'] },
      schema: {
        tags: ['market data'],
        summary: 'A single-use ticket (valid 30 s) for GET /v1/stream/sse?ticket=T on the price-socket port',
        response: { 201: z.object({ ticket: z.string(), expiresAt: z.string() }), ...authenticatedErrors },
      },
    },
    async (request, reply) => reply.code(201).send(await deps.streamTickets.issue(principalOf(request))),
  );
};
