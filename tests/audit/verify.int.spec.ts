import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSqlClient } from '../../infrastructure/persistence/postgres-client.ts';
import { ALL_PROJECTIONS } from '../../projections/all-projections.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-test-database.ts';
import { runReplay } from '../support/replay-cli.ts';
import { bearer, startTradingApp, type TradingApp } from '../support/trading-app.ts';
import { mixedWorkload, runStep, tradingSession } from '../support/trading-steps.ts';

describe('`replay verify` compares every read model with a replay of the log', () => {
  let database: TestDatabase;
  let trading: TradingApp;
  let owner: PostgresSqlClient;
  let accounts: string[];

  const verify = (...args: string[]) => runReplay(database, 'verify', ...args);

  async function settle(): Promise<void> {
    const [last] = await trading.readModels.query<{ position: string }>('SELECT max(position)::text AS position FROM events');
    await trading.projector!.waitFor(BigInt(last!.position));
  }

  beforeAll(async () => {
    database = await createTestDatabase('verify');
    trading = await startTradingApp({ EVENT_STORE: 'postgres', DATABASE_URL: database.appUrl });
    owner = PostgresSqlClient.connect(database.adminUrl, { max: 2 });
    accounts = Array.from({ length: 4 }, () => randomUUID());
    const session = tradingSession(trading, accounts);
    for (const step of mixedWorkload(accounts.length)) await runStep(session, step);
    await settle();
  }, 60_000);
  afterAll(async () => {
    await owner?.close();
    await trading?.close();
    await database?.drop();
  });

  it('given read models the projector built from a mixed workload, when verified while trading goes on, then every one is identical and it exits 0', async () => {
    let trading_ = true;
    const deposits = (async () => {
      for (let i = 0; trading_; i += 1) {
        await trading.app.inject({ method: 'POST', url: '/v1/account/deposits', headers: bearer(accounts[i % accounts.length]!), payload: { amountCents: 100, idempotencyKey: `during-verify-${i}` } });
      }
    })();
    const run = await verify();
    trading_ = false;
    await deposits;

    expect(run.code, run.stdout + run.stderr).toBe(0);
    for (const projection of ALL_PROJECTIONS) expect(run.stdout).toMatch(new RegExp(`^${projection.name}: identical at position \\d+ \\(\\d+ rows\\)$`, 'm'));
    expect(run.stdout).toContain(`verify: ${ALL_PROJECTIONS.length} read model(s) equal a replay of the log`);
  }, 90_000);

  it('given a read-model row altered by hand, when verified, then it exits 1 naming the table, the row and the column, live against rebuilt', async () => {
    await settle();
    const altered = accounts[1]!;
    await owner.query('UPDATE accounts SET cash_cents = cash_cents + 1 WHERE account_id = $1', [altered]);
    const [position] = await owner.query<{ symbol: string }>('SELECT symbol FROM positions WHERE account_id = $1 ORDER BY symbol LIMIT 1', [accounts[2]]);
    await owner.query('DELETE FROM positions WHERE account_id = $1 AND symbol = $2', [accounts[2], position!.symbol]);

    const run = await verify('--examples', '3');

    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(/^accounts: 1 row\(s\) differ at position \d+/m);
    expect(run.stdout).toMatch(new RegExp(`row account_id=${altered}: cash_cents live \\d+ rebuilt \\d+`));
    expect(run.stdout).toMatch(/^positions: 1 row\(s\) differ/m);
    expect(run.stdout).toContain(`row account_id=${accounts[2]} symbol=${position!.symbol}: missing from the live table`);
    expect(run.stdout).toMatch(/^orders: identical/m);
    expect(run.stdout).toContain('verify: accounts, positions differ from a replay of the log');
  }, 90_000);

  it('leaves no shadow table behind', async () => {
    const shadows = await owner.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE tablename LIKE '%\\_\\_rebuild%'");
    expect(shadows).toEqual([]);
  });
});
