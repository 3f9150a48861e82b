import { createSigner } from 'fast-jwt';
import type { Role } from './authentication.ts';

/** Mints a bearer token of the API (dev tools, the embedded mode's demo token, tests). */
export function signToken(secret: string, claims: { accountId: string; role: Role; ttlSeconds: number }): string {
  const sign = createSigner({ key: secret, algorithm: 'HS256', expiresIn: claims.ttlSeconds * 1000 });
  return sign({ sub: claims.accountId, role: claims.role });
}
