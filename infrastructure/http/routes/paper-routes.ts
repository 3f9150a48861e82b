import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PaperAccount } from '../../../application/paper/open-paper-account.ts';
import { errorBody } from '../schemas/contract-schemas.ts';

export interface PaperRoutesOptions {
  readonly openPaperAccount: () => PaperAccount;
  /** Accounts one client address may open per minute. */
  readonly accountsPerMinute: number;
}

/**
 * Paper mode only (registered when paper funding is on; elsewhere the route does not exist): a
 * fresh account and its trader token, without a token, for the web console's "start paper account".
 */
export const paperRoutes: FastifyPluginAsyncZod<PaperRoutesOptions> = async (app, options) => {
  app.post(
    '/v1/paper/accounts',
    {
      // Unauthenticated, so the global limit keys it by client address; it gets a tighter one of its own.
      config: { rateLimit: { max: options.accountsPerMinute, timeWindow: 60_000 } },
      schema: {
        tags: ['paper mode'],
        summary: 'Open a fresh paper account and get a trader token for it (paper mode only)',
        description: `Exists only in paper mode (PAPER_FUNDING=true; the embedded mode). The account starts empty: fund it with POST /v1/account/deposits. At most ${options.accountsPerMinute} per client address per minute.`,
        response: {
          201: z.object({ accountId: z.uuid(), token: z.string(), expiresAt: z.string().describe('ISO-8601 UTC: when the token expires') }),
          429: errorBody,
        },
      },
    },
    async (_request, reply) => reply.code(201).send(options.openPaperAccount()),
  );
};
