import { createSigner } from 'fast-jwt';
import type { TraderTokens } from '../../application/paper/open-paper-account.ts';
import type { Role } from './authentication.ts';

/** Mints a bearer token of the API (dev tools, the embedded mode's demo token, tests). */
export function signToken(secret: string, claims: { accountId: string; role: Role; ttlSeconds: number }): string {
  return signTokenUntil(secret, { accountId: claims.accountId, role: claims.role, expiresAt: new Date(Date.now() + claims.ttlSeconds * 1000) });
}

/** A bearer token whose `exp` is `expiresAt` (to the second, as JWT counts). */
export function signTokenUntil(secret: string, claims: { accountId: string; role: Role; expiresAt: Date }): string {
  const sign = createSigner({ key: secret, algorithm: 'HS256' });
  return sign({ sub: claims.accountId, role: claims.role, exp: Math.floor(claims.expiresAt.getTime() / 1000) });
}

/** Trader tokens signed with the API's secret (the paper-account route's port). */
export function traderTokens(secret: string): TraderTokens {
  return { issue: (accountId, expiresAt) => signTokenUntil(secret, { accountId, role: 'trader', expiresAt }) };
}
