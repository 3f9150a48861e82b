import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { accountStateJson, auditEventJson } from '../../../application/audit/audit-json.ts';
import { parseInstant } from '../../../application/audit/instant.ts';
import { parsePosition } from '../../../application/shared/value-ranges.ts';
import { ApiError } from '../api-error.ts';
import { accountBody, authenticatedErrors, errorBody, limitQuery, orderBody } from '../schemas/contract-schemas.ts';
import type { TradingDependencies } from './trading-dependencies.ts';

const AUDIT_ROLES = ['auditor', 'admin'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Positions and revisions are 64-bit: beyond 2^53 a JSON number would round, so they travel as strings.
const bigintString = (what: string) =>
  z
    .string()
    .refine((value) => parsePosition(value) !== undefined, 'a decimal integer from 0 to 9223372036854775807')
    .describe(`${what}: a 64-bit integer, as a decimal string`);

const auditEventBody = z.object({
  position: bigintString('place in the global log'),
  revision: bigintString('index of the event in its stream'),
  id: z.string(),
  type: z.string(),
  data: z.unknown(),
  metadata: z.record(z.string(), z.unknown()),
  recordedAt: z.string().describe('ISO-8601 UTC with milliseconds, by the event store\'s clock'),
});

const auditPositionBody = z.object({
  symbol: z.string(),
  qty: z.number().int(),
  reservedQty: z.number().int(),
  avgCostCents: z.number().int(),
  costBasisCents: z.number().int(),
});

const accountStateBody = z.object({
  accountId: z.string(),
  asOf: z.object({
    position: bigintString('the answer folds every event up to this position'),
    time: z.string().nullable().describe('and, when `at` was a time, recorded up to this time'),
  }),
  account: accountBody,
  positions: z.array(auditPositionBody),
  openOrders: z.array(orderBody),
});

/** The audit routes (api.md, Audit): raw stream events and point-in-time account state. */
export const auditRoutes: FastifyPluginAsyncZod<TradingDependencies> = async (app, deps) => {
  app.get(
    '/v1/audit/streams/:streamId/events',
    {
      config: { roles: AUDIT_ROLES },
      schema: {
        tags: ['audit'],
        summary: 'A stream\'s events, in order (auditor, admin)',
        description: '`from` is the first revision (default 0); at most `limit` events (1–1,000, default 100); `nextFrom` pages on.',
        params: z.object({ streamId: z.string().min(1).max(512) }),
        querystring: z.object({ from: bigintString('first revision').optional(), limit: limitQuery(1_000, 100) }),
        response: { 200: z.object({ events: z.array(auditEventBody), nextFrom: z.string().nullable() }), 404: errorBody, ...authenticatedErrors },
      },
    },
    async (request) => {
      const { streamId } = request.params;
      const page = await deps.audit.streamEvents(streamId, { from: parsePosition(request.query.from ?? '0')!, limit: request.query.limit });
      if (!page) throw new ApiError(404, 'not_found', `stream ${streamId} has no events`);
      return {
        events: page.events.map((event) => {
          const { streamId: _stream, ...json } = auditEventJson(event);
          return json;
        }),
        nextFrom: page.nextFrom === null ? null : page.nextFrom.toString(),
      };
    },
  );

  app.get(
    '/v1/audit/accounts/:accountId/state',
    {
      config: { roles: AUDIT_ROLES },
      schema: {
        tags: ['audit'],
        summary: 'An account\'s ledger, positions and open orders as they stood at a past time or position (auditor, admin)',
        description: '`at` is an ISO-8601 time (by the event store\'s clock) or a global position; rebuilt from events alone.',
        params: z.object({ accountId: z.string().regex(UUID, 'a UUID') }),
        querystring: z.object({
          at: z
            .string()
            .max(64)
            .refine((value) => parseInstant(value) !== undefined, 'an ISO-8601 time with a zone (2026-01-31T12:00:00.000Z) or a position (digits)'),
        }),
        response: { 200: accountStateBody, 404: errorBody, ...authenticatedErrors },
      },
    },
    async (request) => {
      const accountId = request.params.accountId.toLowerCase();
      const state = await deps.audit.accountStateAt(accountId, parseInstant(request.query.at)!);
      if (!state) throw new ApiError(404, 'not_found', `account ${accountId} has no events`);
      return accountStateJson(state);
    },
  );
};
