/** Where a signed-in tab keeps its token: this tab only (sessionStorage), gone when it closes. */
const KEY = 'trading-core.session';

export interface SavedSession {
  readonly token: string;
  readonly accountId: string;
  /** ISO-8601, when the token expires. */
  readonly expiresAt: string;
}

/** The account and expiry a bearer JWT names (read, not verified: the server verifies it). */
export function describeToken(token: string): SavedSession | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(atob(payload.replaceAll('-', '+').replaceAll('_', '/'))) as { sub?: unknown; exp?: unknown };
    if (typeof claims.sub !== 'string' || typeof claims.exp !== 'number') return undefined;
    return { token, accountId: claims.sub, expiresAt: new Date(claims.exp * 1000).toISOString() };
  } catch {
    return undefined;
  }
}

export function loadSession(now = Date.now()): SavedSession | undefined {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as SavedSession | null;
    return saved && Date.parse(saved.expiresAt) > now ? saved : undefined;
  } catch {
    return undefined;
  }
}

export function saveSession(session: SavedSession | undefined): void {
  if (session) sessionStorage.setItem(KEY, JSON.stringify(session));
  else sessionStorage.removeItem(KEY);
}
