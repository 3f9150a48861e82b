import { Counter, Gauge, type Registry } from 'prom-client';
import type { EventStore } from '../../application/event-store/event-store.ts';
import type { ExchangeWorkflow } from '../../application/orders/exchange-workflow.ts';
import { KeyedMutex } from '../../application/shared/keyed-mutex.ts';
import { OPEN_STATUSES, TERMINAL_STATUSES } from '../../domain/order/order.ts';
import { ExecutionFeedClient, type FeedReport } from '../../gateways/exchange/execution-feed-client.ts';
import type { Logger } from '../logging/logger.ts';
import type { SqlClient } from '../persistence/sql-client.ts';
import { CheckpointWriter, logCheckpoint } from './checkpoint-writer.ts';
import { feedCursor, type FeedPosition } from './feed-cursor.ts';
import { StepFailures, type StepFailurePolicy } from './step-failures.ts';

export interface OrderWorkerOptions {
  readonly store: EventStore;
  /** Holds the worker's checkpoints and the orders read model (for the reconciler). */
  readonly db: SqlClient;
  readonly workflow: ExchangeWorkflow;
  /** ws:// URL of the exchange's execution feed. */
  readonly feedUrl: string;
  readonly logger: Logger;
  readonly metrics?: Registry;
  readonly reconcileEveryMs?: number;
  /** An order pending or pending_cancel longer than this is asked about. */
  readonly stuckAfterMs?: number;
  readonly failurePolicy?: StepFailurePolicy;
}

const ROUTER = 'worker:router';
const ROUTING_CONCURRENCY = 16;
/** Orders asked about at once: a backlog after an outage is bound by commits, which group. */
const RECONCILE_CONCURRENCY = 32;
const FEED = 'worker:executions';
const SWEEP_PAGE = 500;
const sqlList = (statuses: readonly string[]) => statuses.map((status) => `'${status}'`).join(', ');

/**
 * The `worker`: routes held orders and withdraws canceled ones (following the event log from its
 * checkpoint), applies the execution feed (from its last applied sequence number in the
 * exchange's session), and reconciles: orders stuck in pending or pending_cancel, orders that
 * ended with a hold left behind, and — when the exchange starts a new session (it restarted and
 * forgot its orders) — every open order. Steps for one order never overlap in this process, and
 * an order whose steps keep failing backs off, then is given up on (ADR 0019).
 */
export class OrderWorker {
  private readonly perOrder = new KeyedMutex();
  private readonly failures: StepFailures;
  private readonly cursor = feedCursor(FEED);
  private subscription: ReturnType<EventStore['subscribeToAll']> | undefined;
  private feed: ExecutionFeedClient | undefined;
  private reconciler: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private reconciling = false;
  /** The exchange session whose open orders still need reconciling, and those left to ask. */
  private sweep: { session: string; left: string[] | undefined } | undefined;
  private stopped = false;
  private readonly metrics: ReturnType<typeof workerMetrics> | undefined;
  private readonly routerCheckpoint: CheckpointWriter<bigint>;
  private readonly feedCheckpoint: CheckpointWriter<FeedPosition>;

  constructor(private readonly options: OrderWorkerOptions) {
    const onError = (name: string) => (error: unknown) => options.logger.warn({ err: error, checkpoint: name }, 'worker checkpoint not saved');
    this.routerCheckpoint = new CheckpointWriter(options.db, logCheckpoint(ROUTER), onError(ROUTER));
    this.feedCheckpoint = new CheckpointWriter(options.db, this.cursor.save, onError(FEED));
    this.failures = new StepFailures(options.failurePolicy);
    this.metrics = options.metrics ? workerMetrics(options.metrics) : undefined;
  }

  async start(): Promise<void> {
    await this.options.db.query(`INSERT INTO projection_checkpoints (projection, position) VALUES ($1, -1) ON CONFLICT (projection) DO NOTHING`, [ROUTER]);
    const routerAfter = await this.checkpoint(ROUTER);
    const cursor = await this.cursor.load(this.options.db);
    // A sweep a crash interrupted is taken up again.
    if (cursor.session !== undefined && cursor.session !== cursor.sweptSession) this.sweep = { session: cursor.session, left: undefined };

    this.subscription = this.options.store.subscribeToAll(routerAfter >= 0n ? { after: routerAfter } : {});
    this.loop = this.follow(this.subscription);

    this.feed = new ExecutionFeedClient({
      url: this.options.feedUrl,
      after: cursor.seq,
      ...(cursor.session === undefined ? {} : { session: cursor.session }),
      apply: (report) => this.applyReport(report),
      onNewSession: async (session, previous) => this.newSession(session, previous),
      onError: (error) => this.options.logger.warn({ err: error }, 'execution feed problem'),
    });
    this.feed.start();

    this.reconciler = setInterval(() => void this.reconcile(), this.options.reconcileEveryMs ?? 2_000);
    this.reconciler.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.reconciler);
    await this.feed?.stop();
    await this.subscription?.close();
    await this.loop?.catch(() => undefined);
    await this.routerCheckpoint.flush();
    await this.feedCheckpoint.flush();
  }

  /** One reconciler pass: the session sweep's next orders, then stuck and ended-with-hold orders. */
  async reconcile(): Promise<number> {
    if (this.reconciling) return 0;
    this.reconciling = true;
    try {
      return (await this.sweepStep()) + (await this.reconcileStuck());
    } catch (error) {
      this.options.logger.warn({ err: error }, 'reconciler pass failed');
      return 0;
    } finally {
      this.reconciling = false;
    }
  }

  /**
   * Orders pending or pending_cancel for longer than `stuckAfterMs`, and orders that ended that
   * long ago with a hold still open (the order's end and the release are two streams, and a crash
   * may fall between them), asked about up to `RECONCILE_CONCURRENCY` at a time.
   */
  private async reconcileStuck(): Promise<number> {
    const before = new Date(Date.now() - (this.options.stuckAfterMs ?? 5_000)).toISOString();
    const rows = await this.options.db.query<{ id: string }>(
      `(SELECT id::text AS id FROM orders WHERE status IN ('pending', 'pending_cancel') AND updated_at < $1 ORDER BY updated_at LIMIT 200)
       UNION
       (SELECT o.id::text AS id FROM holds h JOIN orders o ON o.account_id = h.account_id AND o.id = h.order_id
         WHERE o.status IN (${sqlList(TERMINAL_STATUSES)}) AND o.updated_at < $1 LIMIT 200)`,
      [before],
    );
    await this.reconcileEach(rows.map((row) => row.id).filter((id) => this.failures.due(id)));
    return rows.length;
  }

  /** Asks about each order; returns those the exchange could not be asked about now. */
  private async reconcileEach(orderIds: readonly string[]): Promise<string[]> {
    const queue = [...orderIds];
    const unanswered: string[] = [];
    const lane = async (): Promise<void> => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        const orderId = id;
        const asked = await this.step('reconcile', orderId, () => this.options.workflow.reconcileOrder(orderId));
        if (asked?.value !== true) unanswered.push(orderId);
      }
    };
    await Promise.all(Array.from({ length: RECONCILE_CONCURRENCY }, lane));
    return unanswered;
  }

  /** The exchange began a new session: its old orders are gone from it; every open order is asked about. */
  private async newSession(session: string, previous: string | undefined): Promise<void> {
    this.options.logger.warn({ session, previous }, 'the exchange began a new session: reconciling every open order');
    this.metrics?.sessions.inc();
    // The old session's sequence number means nothing in the new one.
    this.feedCheckpoint.advance({ session, seq: 0 });
    this.sweep = { session, left: undefined };
    void this.reconcile();
  }

  /** The next round of the session sweep: every open order once, then those it could not ask about. */
  private async sweepStep(): Promise<number> {
    const sweep = this.sweep;
    if (!sweep) return 0;
    let asked = 0;
    if (sweep.left === undefined) {
      const left: string[] = [];
      for (let after: { account: string; id: string } | undefined; ; ) {
        const page = await this.options.db.query<{ account_id: string; id: string }>(
          `SELECT account_id::text AS account_id, id::text AS id FROM orders
            WHERE status IN (${sqlList(OPEN_STATUSES)}) ${after ? 'AND (account_id, id) > ($1::uuid, $2::uuid)' : ''}
            ORDER BY account_id, id LIMIT ${SWEEP_PAGE}`,
          after ? [after.account, after.id] : [],
        );
        if (page.length === 0 || this.stopped) break;
        asked += page.length;
        left.push(...(await this.reconcileEach(page.map((row) => row.id))));
        after = { account: page.at(-1)!.account_id, id: page.at(-1)!.id };
      }
      sweep.left = left;
    } else {
      asked = sweep.left.length;
      sweep.left = await this.reconcileEach(sweep.left);
    }
    this.metrics?.sweepLeft.set(sweep.left.length);
    if (sweep.left.length === 0 && !this.stopped && this.sweep === sweep) {
      await this.cursor.markSwept(this.options.db, sweep.session);
      this.sweep = undefined;
      this.options.logger.info({ session: sweep.session }, 'every open order reconciled against the exchange session');
    }
    return asked;
  }

  /**
   * Runs the steps the log asks for, up to `ROUTING_CONCURRENCY` at a time (an exchange call that
   * times out must not hold up every other order), and moves the checkpoint only past events
   * whose steps have all finished.
   */
  private async follow(subscription: AsyncIterable<{ type: string; data: unknown; position: bigint }>): Promise<void> {
    const window: Array<{ position: bigint; done: boolean }> = [];
    const running = new Set<Promise<void>>();
    const advance = (): void => {
      let last: bigint | undefined;
      while (window[0]?.done) last = window.shift()!.position;
      if (last !== undefined) this.routerCheckpoint.advance(last);
    };
    for await (const event of subscription) {
      const orderId = (event.data as { orderId?: string }).orderId;
      let work: (() => Promise<unknown>) | undefined;
      let name = '';
      if (orderId && (event.type === 'FundsReserved' || event.type === 'SharesReserved')) {
        name = 'route';
        work = () => this.options.workflow.routeOrder(orderId);
      } else if (orderId && event.type === 'OrderCancelRequested') {
        name = 'withdraw';
        work = () => this.options.workflow.withdrawOrder(orderId);
      }
      if (!work || !orderId) continue;
      while (running.size >= ROUTING_CONCURRENCY) await Promise.race(running);
      const entry = { position: event.position, done: false };
      window.push(entry);
      const task: Promise<void> = this.step(name, orderId, work).then(() => {
        entry.done = true;
        running.delete(task);
        advance();
      });
      running.add(task);
    }
    await Promise.all(running);
  }

  private async applyReport(report: FeedReport): Promise<void> {
    const applied =
      report.type === 'execution'
        ? await this.step('execution', report.clientOrderId, () => this.options.workflow.applyExecution(report))
        : await this.step('order_status', report.clientOrderId, () => this.options.workflow.applyOrderStatus(report));
    // Not applied: the feed client starts again from the last report that was.
    if (applied === undefined) throw new Error(`report ${report.seq} could not be applied`);
    this.feedCheckpoint.advance({ session: this.feed?.currentSession, seq: report.seq });
  }

  /**
   * Runs one idempotent step; a failure is logged and left to the next attempt (the answer is then
   * undefined). An order that keeps failing while other orders' steps succeed is given up on.
   */
  private async step<T>(name: string, orderId: string, work: () => Promise<T>): Promise<{ value: T } | undefined> {
    try {
      const value = await this.perOrder.run(orderId, work);
      this.failures.succeeded(orderId);
      this.metrics?.steps.inc({ step: name, outcome: typeof value === 'string' ? value : 'ok' });
      return { value };
    } catch (error) {
      this.metrics?.steps.inc({ step: name, outcome: 'error' });
      const giveUp = this.failures.failed(orderId);
      this.options.logger.error({ err: error, step: name, orderId, failures: this.failures.failures(orderId) }, 'workflow step failed');
      if (giveUp) await this.abandon(orderId, `its ${name} step failed ${this.failures.failures(orderId)} times: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }

  private async abandon(orderId: string, reason: string): Promise<void> {
    try {
      await this.perOrder.run(orderId, () => this.options.workflow.abandonOrder(orderId, reason));
      this.failures.forget(orderId);
      this.metrics?.abandoned.inc();
      this.options.logger.error({ orderId, reason }, 'order abandoned: failed, its hold released');
    } catch (error) {
      this.options.logger.error({ err: error, orderId }, 'could not abandon the order; it will be tried again');
    }
  }

  private async checkpoint(name: string): Promise<bigint> {
    const [row] = await this.options.db.query<{ position: string }>('SELECT position::text AS position FROM projection_checkpoints WHERE projection = $1', [name]);
    return BigInt(row?.position ?? '-1');
  }
}

function workerMetrics(registry: Registry) {
  const registers = [registry];
  return {
    steps: new Counter({ name: 'worker_steps_total', help: 'Workflow steps run by the worker', labelNames: ['step', 'outcome'], registers }),
    abandoned: new Counter({ name: 'worker_orders_abandoned_total', help: 'Orders failed because their steps kept failing while others succeeded', registers }),
    sessions: new Counter({ name: 'worker_exchange_sessions_total', help: 'New exchange sessions (restarts) the worker has seen on the execution feed', registers }),
    sweepLeft: new Gauge({ name: 'worker_session_sweep_pending_orders', help: 'Open orders still to be reconciled against the exchange session', registers }),
  };
}
