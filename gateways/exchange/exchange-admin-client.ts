import { randomBytes } from 'node:crypto';

export interface ExchangeAdmin {
  /** The token the simulator is started with (`EXCHANGE_ADMIN_TOKEN`). */
  readonly token: string;
  /** What to add to a simulator's (or the embedded mode's) environment so it takes this token. */
  readonly environment: { readonly EXCHANGE_ADMIN_TOKEN: string };
  get(path: string): Promise<Response>;
  /** POSTs `body` as JSON (no body when it is undefined). */
  post(path: string, body?: unknown): Promise<Response>;
}

/** A fresh admin token, as a deployment would generate one. */
export const newExchangeAdminToken = (): string => randomBytes(32).toString('base64url');

/**
 * The simulated exchange's admin routes (`/admin/pins`, `/admin/reports`, `/admin/faults`,
 * `/admin/ticks`, `/admin/close-day`), called with the bearer token they require. `exchangeUrl`
 * may be a function when the URL is known only once the simulator listens.
 */
export function exchangeAdmin(exchangeUrl: string | (() => string), token: string = newExchangeAdminToken()): ExchangeAdmin {
  const url = (path: string) => `${typeof exchangeUrl === 'function' ? exchangeUrl() : exchangeUrl}${path}`;
  const authorization = `Bearer ${token}`;
  return {
    token,
    environment: { EXCHANGE_ADMIN_TOKEN: token },
    get: (path) => fetch(url(path), { headers: { authorization } }),
    post: (path, body) =>
      fetch(url(path), body === undefined ? { method: 'POST', headers: { authorization } } : { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  };
}
