import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountDecider, accountStreamId } from '../../domain/account/account.ts';
import { orderDecider, orderStreamId } from '../../domain/order/order.ts';
import type { CommandContext } from '../../application/shared/command-context.ts';
import type { CommandHandler } from '../../application/shared/command-handler.ts';
import { TOKENS } from '../../infrastructure/composition/tokens.ts';
import { PostgresSqlClient } from '../../infrastructure/persistence/postgres-client.ts';
import { rebuildProjection } from '../../infrastructure/projections/rebuild-projection.ts';
import { RowStore } from '../../infrastructure/read-models/row-store.ts';
import { ALL_PROJECTIONS } from '../../projections/all-projections.ts';
import { createTestDatabase, TEST_ADMIN_URL, type TestDatabase } from '../support/postgres-test-database.ts';
import { bearer, startTradingApp, type TradingApp } from '../support/trading-app.ts';

const run = promisify(execFile);

describe('rebuild equals live', () => {
  let database: TestDatabase;
  let trading: TradingApp;
  let owner: PostgresSqlClient;

  beforeAll(async () => {
    database = await createTestDatabase('rebuild');
    trading = await startTradingApp({ EVENT_STORE: 'postgres', DATABASE_URL: database.appUrl });
    owner = PostgresSqlClient.connect(database.adminUrl, { max: 2 });
    await mixedWorkload(trading);
    // The last committed event (headPosition may trail it while other databases' transactions run).
    const [last] = await trading.readModels.query<{ position: string }>('SELECT max(position)::text AS position FROM events');
    await trading.projector!.waitFor(BigInt(last!.position));
  }, 60_000);
  afterAll(async () => {
    await owner?.close();
    await trading?.close();
    await database?.drop();
  });

  it.each(ALL_PROJECTIONS.map((projection) => [projection.name, projection] as const))(
    'rebuilding %s from position 0 gives the live table row for row, and swaps it in while queries keep answering',
    async (_, projection) => {
      const live = await new RowStore(projection, projection.table).all(owner);
      expect(live.length).toBeGreaterThan(0);

      const kept = await rebuildProjection({ store: trading.store, db: owner, projection, swap: false });
      expect(await new RowStore(projection, kept.table).all(owner)).toEqual(live);

      const reader = randomUUID();
      let answering = true;
      const statuses: number[] = [];
      const queries = (async () => {
        while (answering) statuses.push((await trading.app.inject({ method: 'GET', url: '/v1/orders?status=all', headers: bearer(reader) })).statusCode);
      })();
      const swapped = await rebuildProjection({ store: trading.store, db: owner, projection, swap: true, grantTo: 'trading_core_app' });
      answering = false;
      await queries;

      expect(swapped.table).toBe(projection.table);
      expect(await new RowStore(projection, projection.table).all(owner)).toEqual(live);
      expect(statuses.length).toBeGreaterThan(0);
      expect(statuses.every((status) => status === 200)).toBe(true);
    },
    60_000,
  );

  it('the live projector carries on into the swapped-in tables', async () => {
    const account = randomUUID();
    const deposit = await trading.app.inject({ method: 'POST', url: '/v1/account/deposits', headers: bearer(account), payload: { amountCents: 4_200, idempotencyKey: 'after-rebuild' } });
    const view = await trading.app.inject({ method: 'GET', url: '/v1/account', headers: { ...bearer(account), 'x-min-position': deposit.headers['x-position'] as string } });
    expect(view.json().cashCents).toBe(4_200);
  });

  it('`trading-core rebuild all` does the same from the command line', async () => {
    const before = await Promise.all(ALL_PROJECTIONS.map((projection) => new RowStore(projection, projection.table).all(owner)));
    const { stdout } = await run('bin/trading-core', ['rebuild', 'all'], {
      env: { ...process.env, TRADING_CORE_FROM_SOURCE: '1', EVENT_STORE: 'postgres', DATABASE_URL: database.appUrl, DATABASE_ADMIN_URL: TEST_ADMIN_URL, LOG_LEVEL: 'silent' },
    });
    for (const projection of ALL_PROJECTIONS) expect(stdout).toContain(`${projection.name}: `);
    const after = await Promise.all(ALL_PROJECTIONS.map((projection) => new RowStore(projection, projection.table).all(owner)));
    expect(after).toEqual(before);
  }, 60_000);
});

/** Deposits, orders, fills (driven as the exchange worker will), cancels, sells and withdrawals. */
async function mixedWorkload({ app, composition }: TradingApp): Promise<void> {
  const commands = composition.container.resolve<CommandHandler>(TOKENS.CommandHandler);
  const context: CommandContext = { correlationId: randomUUID(), causationId: randomUUID(), principal: 'system:test', occurredAt: new Date().toISOString() };
  for (let a = 0; a < 4; a += 1) {
    const account = randomUUID();
    const headers = bearer(account);
    await app.inject({ method: 'POST', url: '/v1/account/deposits', headers, payload: { amountCents: 2_000_000, idempotencyKey: 'd1' } });
    for (let o = 0; o < 6; o += 1) {
      const placed = await app.inject({
        method: 'POST',
        url: '/v1/orders',
        headers,
        payload: { clientOrderId: `o${o}`, symbol: o % 2 ? 'AAPL' : 'MSFT', side: 'buy', type: 'limit', qty: 10 + o, limitPriceCents: 20_000 + o * 100 },
      });
      const orderId = placed.json().id as string;
      if (o % 3 === 2) {
        await app.inject({ method: 'DELETE', url: `/v1/orders/${orderId}`, headers });
        continue;
      }
      // The exchange accepts and fills: first a part, then (for some) the rest.
      await commands.handle(orderDecider, orderStreamId(orderId), { type: 'RecordSubmission', data: { orderId, externalOrderId: `ex-${orderId}` } }, context, `t/${orderId}/sub`);
      const fills = o % 3 === 0 ? [4, 6 + o] : [3];
      for (const [i, qty] of fills.entries()) {
        const executionId = `x-${orderId}-${i}`;
        const priceCents = 19_900 + o * 100 - i * 10;
        const filled = await commands.handle(orderDecider, orderStreamId(orderId), { type: 'RecordFill', data: { orderId, executionId, symbol: o % 2 ? 'AAPL' : 'MSFT', side: 'buy', qty, priceCents } }, context, `t/${orderId}/fill/${i}`);
        const symbol = o % 2 ? 'AAPL' : 'MSFT';
        await commands.handle(accountDecider, accountStreamId(account), { type: 'SettleFill', data: { accountId: account, orderId, executionId, side: 'buy', symbol, qty, priceCents } }, context, `t/${account}/settle/${executionId}`);
        if (filled.state.status === 'filled') {
          await commands.handle(accountDecider, accountStreamId(account), { type: 'ReleaseReservation', data: { accountId: account, orderId } }, context, `t/${account}/release/${orderId}`);
        }
      }
    }
    await app.inject({ method: 'POST', url: '/v1/orders', headers, payload: { clientOrderId: 'sell', symbol: 'MSFT', side: 'sell', type: 'limit', qty: 2, limitPriceCents: 21_000 } });
    await app.inject({ method: 'POST', url: '/v1/account/withdrawals', headers, payload: { amountCents: 1_000, idempotencyKey: 'w1' } });
    // API keys: one kept, one revoked (the api_keys read model has rows of both kinds).
    await app.inject({ method: 'POST', url: '/v1/account/api-keys', headers, payload: { label: 'kept' } });
    const revoked = await app.inject({ method: 'POST', url: '/v1/account/api-keys', headers, payload: { label: 'revoked' } });
    await app.inject({ method: 'DELETE', url: `/v1/account/api-keys/${revoked.json().keyId as string}`, headers });
  }
}
