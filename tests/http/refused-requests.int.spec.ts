import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SqlApiKeyDirectory } from '../../infrastructure/api-keys/api-key-adapters.ts';
import { SqlProjectionProgress } from '../../infrastructure/projections/projection-progress.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-test-database.ts';
import { bearer, startTradingApp, type TradingApp } from '../support/trading-app.ts';

type Pair = { 'apca-api-key-id': string; 'apca-api-secret-key': string };
const unknownKey = (): Pair => ({ 'apca-api-key-id': `PK${randomUUID().replace(/-/g, '').slice(0, 18).toUpperCase()}`, 'apca-api-secret-key': 'x'.repeat(43) });

async function makeKey(app: TradingApp, accountId: string): Promise<{ pair: Pair; position: string }> {
  const created = await app.app.inject({ method: 'POST', url: '/v1/account/api-keys', headers: bearer(accountId) });
  expect(created.statusCode, created.body).toBe(201);
  return { pair: { 'apca-api-key-id': created.json().keyId, 'apca-api-secret-key': created.json().secret }, position: created.headers['x-position'] as string };
}

/** Sends `count` requests, `concurrency` at a time; their statuses and the time they all took. */
async function burst(count: number, concurrency: number, send: (i: number) => Promise<{ statusCode: number }>): Promise<{ statuses: number[]; ms: number }> {
  const statuses: number[] = [];
  const started = performance.now();
  for (let i = 0; i < count; i += concurrency) statuses.push(...(await Promise.all(Array.from({ length: Math.min(concurrency, count - i) }, (_, j) => send(i + j)))).map((answer) => answer.statusCode));
  return { statuses, ms: performance.now() - started };
}

describe('refused requests: unknown keys answered at once, refusals limited per client address', () => {
  let database: TestDatabase;
  let trading: TradingApp;
  let bare: TradingApp;

  beforeAll(async () => {
    database = await createTestDatabase('refused');
    trading = await startTradingApp({ EVENT_STORE: 'postgres', DATABASE_URL: database.appUrl });
    // Another API instance on the same database, without a projector of its own.
    bare = await startTradingApp({ EVENT_STORE: 'postgres', DATABASE_URL: database.appUrl }, { projector: false });
  });
  afterEach(() => vi.restoreAllMocks());
  afterAll(async () => {
    await bare?.close();
    await trading?.close();
    await database?.drop();
  });

  it('given 300 requests with unknown API keys, then each gets 401 after one lookup, without polling the read models', async () => {
    const { pair } = await makeKey(trading, randomUUID());
    const wrongSecret = { ...pair, 'apca-api-secret-key': 'y'.repeat(43) };
    const known = await burst(300, 50, () => bare.app.inject({ method: 'GET', url: '/v1/account', headers: wrongSecret }));
    expect(new Set(known.statuses)).toEqual(new Set([401]));

    const lookups = vi.spyOn(SqlApiKeyDirectory.prototype, 'find');
    const polls = vi.spyOn(SqlProjectionProgress.prototype, 'appliedPosition');
    const unknown = await burst(300, 50, () => bare.app.inject({ method: 'GET', url: '/v1/account', headers: unknownKey() }));
    expect(new Set(unknown.statuses)).toEqual(new Set([401]));
    expect(lookups).toHaveBeenCalledTimes(300);
    expect(polls).not.toHaveBeenCalled();
    // Loose and relative: an unknown key costs about what a known key with a wrong secret does (one lookup each).
    expect(unknown.ms).toBeLessThan(known.ms * 4 + 1_000);
  }, 60_000);

  it('given a key just made on this instance, when it is used at once, then it works before the read models may have it', async () => {
    const accountId = randomUUID();
    const { pair } = await makeKey(bare, accountId);
    const first = await bare.app.inject({ method: 'GET', url: '/v1/account', headers: pair });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json().accountId).toBe(accountId);
  });

  it('given a key made on another instance, when the caller names its creation\'s position, then it works at once; a position past the log is no reason to wait', async () => {
    const accountId = randomUUID();
    const { pair, position } = await makeKey(trading, accountId);
    const named = await bare.app.inject({ method: 'GET', url: '/v1/account', headers: { ...pair, 'x-min-position': position } });
    expect(named.statusCode, named.body).toBe(200);

    const polls = vi.spyOn(SqlProjectionProgress.prototype, 'appliedPosition');
    const beyond = await bare.app.inject({ method: 'GET', url: '/v1/orders', headers: { ...unknownKey(), 'x-min-position': '9223372036854775807' } });
    expect(beyond.statusCode).toBe(401);
    expect(polls).not.toHaveBeenCalled();
  });

  describe('given an API instance that allows 5 refused requests per address per minute', () => {
    let limited: TradingApp;
    beforeAll(async () => {
      limited = await startTradingApp({ EVENT_STORE: 'postgres', DATABASE_URL: database.appUrl, RATE_LIMIT_FAILURES_WINDOW_MS: '60000' }, { projector: false, refusalsMax: 5 });
    });
    afterAll(() => limited?.close());

    it('when one address sends bad tokens, unknown keys and invalid bodies, then after the fifth every request of it gets 429 before authentication; another address is served', async () => {
      const attacker = '203.0.113.7';
      const victim = randomUUID();
      const refused = [
        { method: 'GET' as const, url: '/v1/account', headers: { authorization: 'Bearer not-a-token' } },
        { method: 'GET' as const, url: '/v2/account', headers: unknownKey() },
        { method: 'POST' as const, url: '/v1/orders', headers: bearer(victim), payload: { clientOrderId: 'x', qty: -1 } },
        { method: 'GET' as const, url: '/v1/account' },
        { method: 'POST' as const, url: '/v2/orders', headers: unknownKey(), payload: {} },
      ];
      const statuses = [];
      for (const request of refused) statuses.push((await limited.app.inject({ ...request, remoteAddress: attacker })).statusCode);
      expect(statuses).toEqual([401, 401, 400, 401, 401]);

      const lookups = vi.spyOn(SqlApiKeyDirectory.prototype, 'find');
      const blocked = await limited.app.inject({ method: 'GET', url: '/v1/account', headers: unknownKey(), remoteAddress: attacker });
      expect(blocked.statusCode).toBe(429);
      expect(blocked.json().error.code).toBe('rate_limited');
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect(lookups).not.toHaveBeenCalled();
      // The address is held back as a whole for the window, valid credentials included.
      expect((await limited.app.inject({ method: 'GET', url: '/v1/account', headers: bearer(victim), remoteAddress: attacker })).statusCode).toBe(429);
      const alpaca = await limited.app.inject({ method: 'GET', url: '/v2/account', headers: unknownKey(), remoteAddress: attacker });
      expect(alpaca.statusCode).toBe(429);
      expect(alpaca.json()).toEqual({ code: 42910000, message: expect.any(String) });

      for (let i = 0; i < 20; i += 1) {
        expect((await limited.app.inject({ method: 'GET', url: '/v1/account', headers: bearer(randomUUID()), remoteAddress: '198.51.100.9' })).statusCode).toBe(200);
      }
      // Public routes outside /v1 and /v2 (health, docs) are not held back.
      expect((await limited.app.inject({ method: 'GET', url: '/healthz', remoteAddress: attacker })).statusCode).toBe(200);
    });
  });
});
