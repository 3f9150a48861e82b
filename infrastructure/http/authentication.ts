import fastifyJwt from '@fastify/jwt';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createVerifier } from 'fast-jwt';
import type { ApiKeyAuthenticator } from '../../application/api-keys/api-keys.ts';
import { parsePosition } from '../../application/shared/value-ranges.ts';
import { ApiError } from './api-error.ts';
import { MIN_POSITION_HEADER } from './read-your-writes.ts';

export type Role = 'trader' | 'auditor' | 'admin';

export interface Principal {
  readonly accountId: string;
  readonly role: Role;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Roles allowed on the route; a route without any is public. */
    roles?: readonly Role[];
    /** API key pairs may not use the route: it needs the account's bearer token (keys trade and read). */
    bearerOnly?: true;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ROLES: readonly Role[] = ['trader', 'auditor', 'admin'];

export const API_KEY_ID_HEADER = 'apca-api-key-id';
export const API_KEY_SECRET_HEADER = 'apca-api-secret-key';

/** The OpenAPI security schemes of the two kinds of credentials. */
export const SECURITY_SCHEMES = {
  bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
  apiKeyId: { type: 'apiKey', in: 'header', name: 'APCA-API-KEY-ID' },
  apiKeySecret: { type: 'apiKey', in: 'header', name: 'APCA-API-SECRET-KEY' },
} as const;

/** Whether an API key pair may use a route: keys act as a trader, and only where the route lets them. */
const keysAllowed = (config: { roles?: readonly Role[]; bearerOnly?: true }): boolean => config.bearerOnly === undefined && (config.roles?.includes('trader') ?? false);

/**
 * Bearer JWTs (HS256, `JWT_SECRET`): `sub` is the account id, `role` one of trader, auditor,
 * admin, `exp` required; or an API key pair in `APCA-API-KEY-ID` / `APCA-API-SECRET-KEY` (the
 * Alpaca-compatible face's way), which acts as the key's account with the trader role: it trades
 * and reads, but a route marked `bearerOnly` (managing keys, moving money) refuses it with 403, so
 * a leaked key cannot mint keys that outlive its revocation. The account always comes from the
 * credentials, never from the request. Each route's OpenAPI security says which it takes.
 */
export async function installAuthentication(app: FastifyInstance, secret: string, apiKeys?: ApiKeyAuthenticator): Promise<void> {
  await app.register(fastifyJwt, { secret, verify: { algorithms: ['HS256'] }, sign: { algorithm: 'HS256' } });
  app.decorateRequest('principal', null);
  app.addHook('onRoute', (route) => {
    if (!route.config?.roles) return;
    const keys = keysAllowed(route.config);
    route.schema = {
      ...route.schema,
      security: keys ? [{ bearer: [] }, { apiKeyId: [], apiKeySecret: [] }] : [{ bearer: [] }],
      description: [route.schema?.description, `Credentials: ${keys ? 'a bearer token or an API key pair' : 'a bearer token only (API keys are refused with 403)'}; roles: ${route.config.roles.join(', ')}.`].filter(Boolean).join('\n\n'),
    };
  });
  app.addHook('onRequest', async (request) => {
    const { config } = request.routeOptions;
    if (!config.roles) return;
    const byKey = request.headers[API_KEY_ID_HEADER] !== undefined && apiKeys !== undefined;
    request.principal = byKey ? await verifyApiKey(request, apiKeys) : await verify(request);
    if (byKey && !keysAllowed(config)) {
      throw new ApiError(403, 'forbidden', 'an API key trades and reads; this route needs the account\'s bearer token');
    }
    if (!config.roles.includes(request.principal.role)) {
      throw new ApiError(403, 'forbidden', `the ${request.principal.role} role may not use this route`);
    }
  });
}

async function verifyApiKey(request: FastifyRequest, apiKeys: ApiKeyAuthenticator): Promise<Principal> {
  const keyId = request.headers[API_KEY_ID_HEADER];
  const secret = request.headers[API_KEY_SECRET_HEADER];
  if (typeof keyId !== 'string' || typeof secret !== 'string' || keyId.length > 64 || secret.length > 128) {
    throw new ApiError(401, 'unauthorized', 'both APCA-API-KEY-ID and APCA-API-SECRET-KEY are required');
  }
  // A caller that made the key elsewhere names its creation's position; a malformed one counts as none here (queries refuse it).
  const position = request.headers[MIN_POSITION_HEADER];
  const owner = await apiKeys(keyId, secret, typeof position === 'string' ? parsePosition(position) : undefined);
  if (!owner) throw new ApiError(401, 'unauthorized', 'the API key is unknown, revoked, or its secret does not match');
  return { accountId: owner.accountId, role: 'trader' };
}

async function verify(request: FastifyRequest): Promise<Principal> {
  if (!request.headers.authorization) throw new ApiError(401, 'unauthorized', 'an Authorization: Bearer token is required');
  let claims: Claims;
  try {
    claims = await request.jwtVerify();
  } catch {
    throw new ApiError(401, 'unauthorized', 'the token is malformed, expired or not signed by us');
  }
  const principal = principalFromClaims(claims);
  if (typeof principal === 'string') throw new ApiError(401, 'unauthorized', principal);
  return principal;
}

type Claims = { sub?: unknown; role?: unknown; exp?: unknown };

/** The principal verified claims name, or why they name none. */
export function principalFromClaims(claims: Claims): Principal | string {
  if (typeof claims.sub !== 'string' || !UUID.test(claims.sub)) return 'the token names no account';
  if (typeof claims.role !== 'string' || !ROLES.includes(claims.role as Role)) return 'the token carries no known role';
  if (typeof claims.exp !== 'number') return 'the token has no expiry';
  return { accountId: claims.sub.toLowerCase(), role: claims.role as Role };
}

/** Verifies a bearer token outside fastify (the price socket): the principal, or undefined. */
export function tokenVerifier(secret: string): (token: string) => Principal | undefined {
  const verifyToken = createVerifier({ key: secret, algorithms: ['HS256'] });
  return (token) => {
    try {
      const principal = principalFromClaims(verifyToken(token) as Claims);
      return typeof principal === 'string' ? undefined : principal;
    } catch {
      return undefined;
    }
  };
}

/** The principal of an authenticated route (set by the onRequest hook). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new ApiError(401, 'unauthorized', 'authentication is required');
  return request.principal;
}

/** The `principal` stamped on events: who acted, in the event store's words. */
export function actor(principal: Principal): string {
  return `${principal.role === 'admin' ? 'admin' : 'account'}:${principal.accountId}`;
}
