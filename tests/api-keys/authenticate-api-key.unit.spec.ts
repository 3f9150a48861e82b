import { describe, expect, it } from 'vitest';
import { authenticateApiKey, pendingApiKeys, type ApiKeyDirectory, type ApiKeyEntry } from '../../application/api-keys/api-keys.ts';
import { RecentApiKeys } from '../../application/api-keys/recent-api-keys.ts';
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

/** Pending keys over a log whose head is `head`; records every wait. */
function pendingOver(head: bigint, recent = new RecentApiKeys()) {
  const waits: bigint[] = [];
  const pending = pendingApiKeys({ recent, logHead: async () => head, waitFor: async (position) => void waits.push(position) });
  return { pending, waits, recent };
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

  it('answers a key nobody made here and nobody names a position for at once: one lookup, no wait', async () => {
    const directory = directoryFound(Number.POSITIVE_INFINITY);
    const { pending, waits } = pendingOver(100n);
    const authenticate = authenticateApiKey({ directory, secrets: apiKeySecrets, pending });
    for (let i = 0; i < 300; i += 1) expect(await authenticate('PKNOTAKEYATALL000000', secret)).toBeUndefined();
    expect(directory.lookups).toBe(300);
    expect(waits).toEqual([]);
  });

  it('finds a key made on this instance a moment ago, not projected yet, by waiting for its creation\'s position once', async () => {
    const directory = directoryFound(1);
    const { pending, waits, recent } = pendingOver(100n);
    recent.remember(entry.keyId, 42n);
    const authenticate = authenticateApiKey({ directory, secrets: apiKeySecrets, pending });
    expect(await authenticate(entry.keyId, secret)).toEqual({ accountId: entry.accountId });
    expect(waits).toEqual([42n]);
    expect(directory.lookups).toBe(2);
  });

  it('waits for a position the caller names within the log, and not for one past the log\'s head', async () => {
    const { pending, waits } = pendingOver(100n);
    const within = directoryFound(1);
    expect(await authenticateApiKey({ directory: within, secrets: apiKeySecrets, pending })(entry.keyId, secret, 90n)).toEqual({ accountId: entry.accountId });
    const past = directoryFound(1);
    expect(await authenticateApiKey({ directory: past, secrets: apiKeySecrets, pending })(entry.keyId, secret, 101n)).toBeUndefined();
    expect(waits).toEqual([90n]);
    expect(past.lookups).toBe(1);
  });

  it('gives up on a key that is still missing after the one wait', async () => {
    const directory = directoryFound(Number.POSITIVE_INFINITY);
    const { pending, recent } = pendingOver(100n);
    recent.remember(entry.keyId, 42n);
    expect(await authenticateApiKey({ directory, secrets: apiKeySecrets, pending })(entry.keyId, secret)).toBeUndefined();
    expect(directory.lookups).toBe(2);
  });
});

describe('the keys an instance made a moment ago', () => {
  it('forgets a key after its time, and the oldest past its capacity', () => {
    let now = 0;
    const recent = new RecentApiKeys({ ttlMs: 1_000, capacity: 3, now: () => now });
    recent.remember('PK1', 1n);
    now = 500;
    for (const [keyId, position] of [['PK2', 2n], ['PK3', 3n], ['PK4', 4n]] as const) recent.remember(keyId, position);
    expect(recent.positionOf('PK1')).toBeUndefined();
    expect(recent.positionOf('PK2')).toBe(2n);
    now = 1_600;
    expect(recent.positionOf('PK2')).toBeUndefined();
    recent.remember('PK5', 5n);
    expect(recent.size).toBe(1);
  });
});
