import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import type { EventStore, EventToAppend, ExpectedRevision } from '../../application/event-store/event-store.ts';
import { accountDecider, accountStreamId, type AccountCommand, type AccountEvent, type AccountState } from '../../domain/account/account.ts';
import { orderDecider, orderStreamId, type OrderCommand, type OrderEvent, type OrderState, type PlacedOrder } from '../../domain/order/order.ts';
import { openPostgresEventStore } from '../../infrastructure/event-store/postgres/postgres-event-store.ts';
import { dropDatabase, setUpPostgres } from '../../infrastructure/persistence/postgres-setup.ts';
import type { SqlEventStore } from '../../infrastructure/event-store/sql/sql-event-store.ts';

/**
 * Generated trading histories for the audit benchmarks. Every event is what the deciders decide
 * for the commands the workflows send (place, route, submit, fill, settle, release, cancel), so
 * the log has the shape and the sizes of a real one; it is appended in large batches so a few
 * hundred thousand events take seconds, not the hours the HTTP path would.
 */

export interface BenchDatabase {
  readonly name: string;
  readonly appUrl: string;
  readonly adminUrl: string;
  readonly store: SqlEventStore;
  /**
   * Gathers planner statistics, as autovacuum does within a minute of a bulk load. Measured
   * before it, reads of a freshly loaded log plan a sort of every row per page (see the report).
   */
  analyze(): Promise<void>;
  drop(): Promise<void>;
}

export async function createBenchDatabase(adminUrl: string, label: string, keep: boolean): Promise<BenchDatabase> {
  const name = `tc_bench_${label}_${randomBytes(4).toString('hex')}`;
  const server = new URL(adminUrl);
  const appUrl = `postgres://trading_core_app@${server.host}/${name}`;
  await setUpPostgres(adminUrl, appUrl);
  const onDatabase = new URL(adminUrl);
  onDatabase.pathname = `/${name}`;
  const store = await openPostgresEventStore({ connectionString: appUrl, poolSize: 16 });
  return {
    name,
    appUrl,
    adminUrl: onDatabase.toString(),
    store,
    async analyze() {
      const client = new pg.Client({ connectionString: onDatabase.toString() });
      await client.connect();
      await client.query('ANALYZE');
      await client.end();
    },
    async drop() {
      await store.close();
      if (keep) return;
      await dropDatabase(adminUrl, name);
    },
  };
}

interface Append {
  readonly stream: string;
  readonly events: EventToAppend[];
  readonly expected: ExpectedRevision;
}

const metadata = () => ({ correlationId: randomUUID(), causationId: randomUUID(), principal: 'system:bench', occurredAt: new Date().toISOString() });
const toAppend = (events: ReadonlyArray<{ type: string; data: unknown }>): EventToAppend[] => events.map((event) => ({ id: randomUUID(), type: event.type, data: event.data, metadata: metadata() }));

/** One account's trading, decided command by command and collected as appends in log order. */
class AccountTrader {
  private state: AccountState = accountDecider.initialState;
  private revision = -1n;
  private orders = 0;
  private readonly resting: Array<{ orderId: string; state: OrderState; closeAfter: number }> = [];
  private pendingAccount: AccountEvent[] = [];

  constructor(
    readonly accountId: string,
    private readonly restEvery: number,
  ) {}

  private account(command: AccountCommand): void {
    const events = accountDecider.decide(command, this.state);
    for (const event of events) this.state = accountDecider.evolve(this.state, event);
    this.pendingAccount.push(...events);
  }

  private order(state: OrderState, command: OrderCommand, into: OrderEvent[]): OrderState {
    let next = state;
    for (const event of orderDecider.decide(command, next)) {
      next = orderDecider.evolve(next, event);
      into.push(event);
    }
    return next;
  }

  /** The next `count` orders: their order streams (appended first, as placement does) and the account's events. */
  chunk(count: number): { orderAppends: Append[]; cancelAppends: Append[]; accountAppend: Append | undefined } {
    const orderAppends: Append[] = [];
    const cancelAppends: Append[] = [];
    if (this.revision < 0n && this.pendingAccount.length === 0) this.account({ type: 'DepositFunds', data: { accountId: this.accountId, amountCents: 10_000_000_000, idempotencyKey: 'seed' } });
    // Resting orders of earlier chunks (their holds are in the log already) are canceled first.
    while (this.resting.length > 0 && this.resting[0]!.closeAfter <= this.orders) {
      const rest = this.resting.shift()!;
      const closing: OrderEvent[] = [];
      const requested = this.order(rest.state, { type: 'RequestCancel', data: { orderId: rest.orderId } }, closing);
      this.order(requested, { type: 'ConfirmCancel', data: { orderId: rest.orderId } }, closing);
      cancelAppends.push({ stream: orderStreamId(rest.orderId), events: toAppend(closing), expected: 2n });
      this.account({ type: 'ReleaseReservation', data: { accountId: this.accountId, orderId: rest.orderId } });
    }
    for (let i = 0; i < count; i += 1) {
      const n = this.orders++;
      if (n % 100 === 99) this.account({ type: 'DepositFunds', data: { accountId: this.accountId, amountCents: 1_000_000, idempotencyKey: `top-up-${n}` } });
      const orderId = randomUUID();
      const symbol = ['AAPL', 'MSFT', 'TSLA', 'NVDA'][n % 4]!;
      const held = this.state.positions[symbol];
      const sell = n % 5 === 4 && held !== undefined && held.qty - held.reservedQty >= 2;
      const qty = sell ? 2 : 1 + (n % 10);
      const priceCents = 10_000 + (n % 50) * 10;
      const placed: PlacedOrder = { orderId, accountId: this.accountId, clientOrderId: `c-${n}`, symbol, side: sell ? 'sell' : 'buy', type: 'limit', qty, limitPriceCents: priceCents, timeInForce: 'gtc' };
      const events: OrderEvent[] = [];
      let order = this.order(orderDecider.initialState, { type: 'PlaceOrder', data: placed }, events);
      this.account(sell ? { type: 'ReserveForSell', data: { accountId: this.accountId, orderId, symbol, qty } } : { type: 'ReserveForBuy', data: { accountId: this.accountId, orderId, symbol, qty, perShareCents: priceCents } });
      order = this.order(order, { type: 'StartRouting', data: { orderId, protectionPriceCents: null } }, events);
      order = this.order(order, { type: 'RecordSubmission', data: { orderId, externalOrderId: `ex-${orderId}` } }, events);
      if (n % this.restEvery === 0) {
        // A resting order: canceled in a later chunk, so past moments have open orders.
        this.resting.push({ orderId, state: order, closeAfter: n + 25 });
      } else {
        const executionId = `x-${orderId}`;
        const fillPrice = sell ? priceCents + 5 : priceCents - 5;
        this.order(order, { type: 'RecordFill', data: { orderId, executionId, symbol, side: placed.side, qty, priceCents: fillPrice } }, events);
        this.account({ type: 'SettleFill', data: { accountId: this.accountId, orderId, executionId, side: placed.side, symbol, qty, priceCents: fillPrice } });
        this.account({ type: 'ReleaseReservation', data: { accountId: this.accountId, orderId } });
      }
      orderAppends.push({ stream: orderStreamId(orderId), events: toAppend(events), expected: 'no_stream' });
    }
    if (this.pendingAccount.length === 0) return { orderAppends, cancelAppends, accountAppend: undefined };
    const accountAppend: Append = { stream: accountStreamId(this.accountId), events: toAppend(this.pendingAccount), expected: this.revision < 0n ? 'no_stream' : this.revision };
    this.revision += BigInt(this.pendingAccount.length);
    this.pendingAccount = [];
    return { orderAppends, cancelAppends, accountAppend };
  }
}

async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

export interface HistoryOptions {
  readonly accounts: number;
  readonly ordersPerAccount: number;
  /** Every n-th order rests and is canceled in a later chunk, 25 orders on at the earliest; the others fill at once. */
  readonly restEvery?: number;
  /** Orders per append of an account stream (3 account events each). */
  readonly chunk?: number;
  readonly concurrency?: number;
  readonly onProgress?: (events: number) => void;
}

/** Appends the generated history; returns the account ids and the number of events written. */
export async function generateHistory(store: EventStore, options: HistoryOptions): Promise<{ accounts: string[]; events: number }> {
  const accounts = Array.from({ length: options.accounts }, () => randomUUID());
  const chunk = options.chunk ?? 300;
  const concurrency = options.concurrency ?? 16;
  let events = 0;
  const write = async (append: Append) => {
    await store.append(append.stream, append.events, append.expected);
    events += append.events.length;
    options.onProgress?.(events);
  };
  const traders = accounts.map((accountId) => new AccountTrader(accountId, options.restEvery ?? 50));
  if (traders.length === 1) {
    // One long account: its order streams in parallel, its own stream in order.
    for (let done = 0; done < options.ordersPerAccount; done += chunk) {
      const { orderAppends, cancelAppends, accountAppend } = traders[0]!.chunk(Math.min(chunk, options.ordersPerAccount - done));
      await inParallel(orderAppends, concurrency, write);
      await inParallel(cancelAppends, concurrency, write);
      if (accountAppend) await write(accountAppend);
    }
  } else {
    // Many accounts: one account per worker at a time, each in order.
    await inParallel(traders, concurrency, async (trader) => {
      for (let done = 0; done < options.ordersPerAccount; done += chunk) {
        const { orderAppends, cancelAppends, accountAppend } = trader.chunk(Math.min(chunk, options.ordersPerAccount - done));
        for (const append of [...orderAppends, ...cancelAppends]) await write(append);
        if (accountAppend) await write(accountAppend);
      }
    });
  }
  return { accounts, events };
}

/** Waits until every event written is below the log's horizon (readers see all of it). */
export async function settled(store: SqlEventStore): Promise<bigint> {
  for (;;) {
    const head = await store.headPosition();
    if (!(await store.hasUnsettledEventsAfter(head))) return head;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
