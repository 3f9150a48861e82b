import type { Clock } from '../shared/command-context.ts';

/** Mints the bearer token of a trader (the HTTP edge's signer). */
export interface TraderTokens {
  issue(accountId: string, expiresAt: Date): string;
}

export interface PaperAccount {
  readonly accountId: string;
  readonly token: string;
  /** ISO-8601; the token's `exp`, to the second. */
  readonly expiresAt: string;
}

/** A paper token lasts a week: long enough to come back to, short enough not to pile up. */
export const PAPER_TOKEN_TTL_SECONDS = 7 * 24 * 3600;

/**
 * A fresh paper account: a new account id and a trader token for it. An account is its ledger
 * stream, which its first deposit starts, so nothing is written here: the token is the account
 * (the embedded mode's demo account is made the same way).
 */
export function openPaperAccount(deps: { clock: Clock; newAccountId: () => string; tokens: TraderTokens; ttlSeconds?: number }): () => PaperAccount {
  const ttlMs = (deps.ttlSeconds ?? PAPER_TOKEN_TTL_SECONDS) * 1000;
  return () => {
    const accountId = deps.newAccountId();
    // A JWT's exp counts whole seconds: the answer says the instant the token really ends.
    const expiresAt = new Date(Math.floor((deps.clock.now().getTime() + ttlMs) / 1000) * 1000);
    return { accountId, token: deps.tokens.issue(accountId, expiresAt), expiresAt: expiresAt.toISOString() };
  };
}
