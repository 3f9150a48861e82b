import { describe, expect, it } from 'vitest';
import { authenticateApiKey, type ApiKeyDirectory, type ApiKeyEntry } from '../../application/api-keys/api-keys.ts';
import { apiKeySecrets } from '../../infrastructure/api-keys/api-key-adapters.ts';

const secret = apiKeySecrets.newSecret();
const entry: ApiKeyEntry = { keyId: 'PKAAAAAAAAAAAAAAAAAA', accountId: '0b63b8df-c2ac-4b4c-a0b1-f888841cb7bf', secretHash: apiKeySecrets.hash(secret), label: null, createdAt: '2026-12-02T00:00:00.000Z', revokedAt: null };

/** A read model that has the key only after `misses` lookups (a projection catching up). */
function directoryFound(after: number, found: ApiKeyEntry | undefined = entry): ApiKeyDirectory & { lookups: number } {
  return {
    lookups: 0,
    async find() {
      this.lookups += 1;
      return this.lookups > after ? found : undefined;
    },
    async list() {
      return [];
    },
  };
}

describe('authenticating an API key pair', () => {
  it('names the key’s account when the secret matches, and nobody when it does not', async () => {
    const authenticate = authenticateApiKey({ directory: directoryFound(0), secrets: apiKeySecrets });
    expect(await authenticate(entry.keyId, secret)).toEqual({ accountId: entry.accountId });
    expect(await authenticate(entry.keyId, `${secret}x`)).toBeUndefined();
  });

  it('refuses a revoked key', async () => {
    const authenticate = authenticateApiKey({ directory: directoryFound(0, { ...entry, revokedAt: '2026-12-02T01:00:00.000Z' }), secrets: apiKeySecrets });
    expect(await authenticate(entry.keyId, secret)).toBeUndefined();
  });

  it('finds a key the read model has not applied yet after it catches up, and looks again a few times', async () => {
    let caughtUp = 0;
    const directory = directoryFound(3);
    const authenticate = authenticateApiKey({ directory, secrets: apiKeySecrets, catchUp: async () => void (caughtUp += 1) });
    expect(await authenticate(entry.keyId, secret)).toEqual({ accountId: entry.accountId });
    expect(caughtUp).toBe(1);
    expect(directory.lookups).toBe(4);
  });

  it('gives up on a key that never appears, after a bounded number of looks', async () => {
    const directory = directoryFound(Number.POSITIVE_INFINITY);
    const authenticate = authenticateApiKey({ directory, secrets: apiKeySecrets, catchUp: async () => undefined });
    expect(await authenticate('PKNOTAKEYATALL000000', secret)).toBeUndefined();
    expect(directory.lookups).toBe(6);
  });
});
