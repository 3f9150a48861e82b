import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_ORDER_INDEX } from '../../application/audit/account-order-index.ts';
import { accountSnapshotter } from '../../application/audit/account-snapshots.ts';
import type { Instant } from '../../application/audit/instant.ts';
import { accountStateAt, type AccountStateAt } from '../../application/audit/point-in-time.ts';
import type { RecordedEvent } from '../../application/event-store/event-store.ts';
import { accountDecider } from '../../domain/account/account.ts';
import { SqlAccountOrderIndex } from '../../infrastructure/audit/sql-account-order-index.ts';
import { SqlAccountSnapshotStore } from '../../infrastructure/audit/sql-account-snapshot-store.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-test-database.ts';
import { readWholeLog, stateFromZero } from '../support/replay-from-zero.ts';
import { startTradingApp, type TradingApp } from '../support/trading-app.ts';
import { runStep, tradingSession, type TradingStep } from '../support/trading-steps.ts';

const SEED = Number(process.env.AUDIT_SEED ?? 20_261_124);
const STEPS = 700;
const INSTANTS = 1_000;
/** Tiny, so the history holds many snapshots and most answers start from one. */
const SNAPSHOT_EVERY = 4;

const account = fc.nat({ max: 2 });
const recentOrder = fc.integer({ min: -6, max: -1 });
const step: fc.Arbitrary<TradingStep> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('deposit' as const), account, amountCents: fc.integer({ min: 10_000, max: 2_000_000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('withdraw' as const), account, amountCents: fc.integer({ min: 1_000, max: 800_000 }) }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('place' as const),
      account,
      side: fc.constantFrom('buy' as const, 'buy' as const, 'sell' as const),
      type: fc.constantFrom('limit' as const, 'limit' as const, 'market' as const),
      symbol: fc.constantFrom('AAPL', 'MSFT', 'TSLA'),
      qty: fc.integer({ min: 1, max: 40 }),
      limitPriceCents: fc.integer({ min: 5_000, max: 60_000 }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('route' as const), order: recentOrder }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('fill' as const), order: recentOrder, percent: fc.integer({ min: 1, max: 100 }), belowCents: fc.integer({ min: 0, max: 500 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), order: fc.oneof(recentOrder, fc.nat()) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('confirm-cancel' as const), order: fc.oneof(recentOrder, fc.nat()) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('expire' as const), order: fc.oneof(recentOrder, fc.nat()) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pause' as const), ms: fc.integer({ min: 1, max: 12 }) }) },
);

/** The answer without how it was rebuilt: what the fold from zero must equal. */
function stateOnly(answer: AccountStateAt) {
  const { rebuiltFrom: _how, asOf: _cut, ...state } = answer;
  return state;
}

describe(`point-in-time account state (seed ${SEED})`, () => {
  let database: TestDatabase;
  let trading: TradingApp;
  let accounts: string[];
  let log: RecordedEvent[];
  let head: bigint;
  let instants: fc.Arbitrary<Instant>;

  beforeAll(async () => {
    database = await createTestDatabase('pit');
    trading = await startTradingApp({ EVENT_STORE: 'postgres', DATABASE_URL: database.appUrl });
    accounts = [randomUUID(), randomUUID(), randomUUID()];
    const session = tradingSession(trading, accounts);
    const [history] = fc.sample(fc.array(step, { minLength: STEPS, maxLength: STEPS }), { seed: SEED, numRuns: 1 });
    for (const account of [0, 1, 2]) await runStep(session, { kind: 'deposit', account, amountCents: 3_000_000 });
    for (const next of history!) await runStep(session, next);

    // Wait until the whole history is settled (other databases' transactions can hold the horizon back) and indexed.
    const [last] = await trading.readModels.query<{ position: string }>('SELECT max(position)::text AS position FROM events');
    while ((await trading.store.headPosition()) < BigInt(last!.position)) await new Promise((resolve) => setTimeout(resolve, 20));
    await trading.projector!.waitFor(BigInt(last!.position));
    head = await trading.store.headPosition();
    log = await readWholeLog(trading.store);

    const snapshots = new SqlAccountSnapshotStore(trading.readModels);
    const catchUp = accountSnapshotter({ store: trading.store, snapshots, every: SNAPSHOT_EVERY });
    for (const accountId of accounts) await catchUp(accountId);

    const at = (index: number) => log[index % log.length]!;
    const first = log[0]!.recordedAt.getTime();
    const lastTime = log[log.length - 1]!.recordedAt.getTime();
    instants = fc.oneof(
      fc.nat().map((i): Instant => ({ position: at(i).position })),
      fc.nat().map((i): Instant => ({ position: at(i).position - 1n })),
      fc.bigInt({ min: 0n, max: head + 1_000_000n }).map((position): Instant => ({ position })),
      fc.nat().map((i): Instant => ({ time: at(i).recordedAt })),
      fc.nat().map((i): Instant => ({ time: new Date(at(i).recordedAt.getTime() - 1) })),
      fc.integer({ min: first - 1_000, max: lastTime + 1_000 }).map((ms): Instant => ({ time: new Date(ms) })),
    );
    expect(session.orders.length).toBeGreaterThan(50);
    expect(log.length).toBeGreaterThan(600);
    console.log(`history: ${STEPS} steps, ${session.orders.length} orders, ${session.refused} refused, ${log.length} events`);
  }, 120_000);

  afterAll(async () => {
    await trading?.close();
    await database?.drop();
  });

  it('given a generated history, when asked at 1,000 random instants, then every answer equals the log folded from position 0', async () => {
    const service = accountStateAt({
      store: trading.store,
      orderIndex: new SqlAccountOrderIndex(trading.readModels),
      snapshots: new SqlAccountSnapshotStore(trading.readModels),
      snapshotEvery: SNAPSHOT_EVERY,
    });
    let fromSnapshots = 0;
    let withOpenOrders = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...accounts), instants, async (accountId, instant) => {
        const answer = await service(accountId, instant);
        const cut = 'position' in instant ? { position: instant.position < head ? instant.position : head } : { position: head, time: instant.time };
        expect(answer.asOf).toEqual(cut);
        expect(stateOnly(answer)).toEqual(stateFromZero(log, accountId, cut));
        if (answer.rebuiltFrom.snapshotRevision !== null) fromSnapshots += 1;
        if (answer.openOrders.length > 0) withOpenOrders += 1;
      }),
      { numRuns: INSTANTS, seed: SEED },
    );
    // The property covered what it is about: answers from snapshots, and with open orders.
    expect(fromSnapshots).toBeGreaterThan(INSTANTS / 2);
    expect(withOpenOrders).toBeGreaterThan(INSTANTS / 10);
  }, 60_000);

  it('given an order index that has applied nothing, when asked at random instants, then the log itself names the orders and the answers are the same', async () => {
    const service = accountStateAt({ store: trading.store, orderIndex: NO_ORDER_INDEX });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...accounts), instants, async (accountId, instant) => {
        const answer = await service(accountId, instant);
        expect(stateOnly(answer)).toEqual(stateFromZero(log, accountId, answer.asOf));
        expect(answer.rebuiltFrom.snapshotRevision).toBeNull();
      }),
      { numRuns: 100, seed: SEED + 1 },
    );
  }, 60_000);

  it('given a snapshot that does not match its stream, when asked after it, then it is ignored and the answer is still the fold from zero', async () => {
    const snapshots = new SqlAccountSnapshotStore(trading.readModels);
    const accountId = accounts[0]!;
    const newest = (await snapshots.latestWithin(accountId))!;
    await snapshots.save({ ...newest, lastEventId: randomUUID(), state: { ...accountDecider.initialState, cashCents: 123 } });
    const missing: string[] = [];
    const service = accountStateAt({ store: trading.store, orderIndex: NO_ORDER_INDEX, snapshots, snapshotEvery: SNAPSHOT_EVERY, onSnapshotsMissing: (id) => missing.push(id) });
    const answer = await service(accountId, { position: head });
    expect(stateOnly(answer)).toEqual(stateFromZero(log, accountId, { position: head }));
    expect(answer.rebuiltFrom.snapshotRevision).toBeNull();
    expect(missing).toEqual([accountId]);

    // The snapshotter replaces it with the replay.
    await accountSnapshotter({ store: trading.store, snapshots, every: SNAPSHOT_EVERY })(accountId);
    const repaired = await service(accountId, { position: head });
    expect(stateOnly(repaired)).toEqual(stateOnly(answer));
    expect(repaired.rebuiltFrom.snapshotRevision).toBe(newest.revision);
  }, 60_000);
});
