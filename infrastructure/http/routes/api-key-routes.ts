import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DomainError } from '../../../domain/shared/domain-error.ts';
import { principalOf } from '../authentication.ts';
import { withPosition } from '../read-your-writes.ts';
import { authenticatedErrors, errorBody } from '../schemas/contract-schemas.ts';
import { commandContext, type TradingDependencies } from './trading-dependencies.ts';

// Keys trade and read; making, listing and revoking them takes the account's bearer token.
const KEY_MANAGEMENT = { roles: ['trader', 'admin'], bearerOnly: true } as const;
const KEY_ID = /^PK[A-Z0-9]{18}$/;

const apiKeyBody = z.object({
  keyId: z.string(),
  label: z.string().nullable(),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
});

/**
 * The account's API key pairs (docs/api-additions.md): create one (its secret is in this answer
 * only), list them, revoke one. They authenticate the Alpaca-compatible face (and /v1's trading
 * and reading routes), never these routes: a key cannot make another key.
 */
export const apiKeyRoutes: FastifyPluginAsyncZod<TradingDependencies> = async (app, deps) => {
  app.post(
    '/v1/account/api-keys',
    {
      config: KEY_MANAGEMENT,
      schema: {
        tags: ['commands'],
        summary: 'Create an API key pair; the secret is shown in this answer only',
        body: z.object({ label: z.string().min(1).max(100).optional() }).strict().nullish(),
        response: { 201: apiKeyBody.extend({ secret: z.string() }), 422: errorBody, ...authenticatedErrors },
      },
    },
    async (request, reply) => {
      const created = await deps.apiKeys.create(principalOf(request).accountId, request.body?.label ?? null, commandContext(request, deps.clock));
      return withPosition(reply, created.position).code(201).send({ keyId: created.keyId, secret: created.secret, label: created.label, createdAt: created.createdAt, revokedAt: null });
    },
  );

  app.get(
    '/v1/account/api-keys',
    {
      config: KEY_MANAGEMENT,
      schema: { tags: ['queries'], summary: 'The account\'s API keys (never their secrets)', response: { 200: z.object({ apiKeys: z.array(apiKeyBody) }), ...authenticatedErrors } },
    },
    async (request) => ({
      apiKeys: (await deps.apiKeys.directory.list(principalOf(request).accountId)).map(({ keyId, label, createdAt, revokedAt }) => ({ keyId, label, createdAt, revokedAt })),
    }),
  );

  app.delete(
    '/v1/account/api-keys/:keyId',
    {
      config: KEY_MANAGEMENT,
      schema: { tags: ['commands'], summary: 'Revoke an API key', params: z.object({ keyId: z.string().max(64) }), response: { 204: z.null(), 404: errorBody, ...authenticatedErrors } },
    },
    async (request, reply) => {
      if (!KEY_ID.test(request.params.keyId)) throw new DomainError('unknown_api_key', `this account has no key ${request.params.keyId}`);
      const revoked = await deps.apiKeys.revoke(principalOf(request).accountId, request.params.keyId, commandContext(request, deps.clock));
      return withPosition(reply, revoked.position).code(204).send(null);
    },
  );
};
