import { Counter, type Registry } from 'prom-client';
import type { EventStore } from '../../application/event-store/event-store.ts';
import type { ExchangeWorkflow } from '../../application/orders/exchange-workflow.ts';
import { KeyedMutex } from '../../application/shared/keyed-mutex.ts';
import { ExecutionFeedClient, type FeedReport } from '../../gateways/exchange/execution-feed-client.ts';
import type { Logger } from '../logging/logger.ts';
import type { SqlClient } from '../persistence/sql-client.ts';
import { CheckpointWriter } from './checkpoint-writer.ts';

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
}

const ROUTER = 'worker:router';
const ROUTING_CONCURRENCY = 16;
/** Stuck orders asked about at once: a backlog after an outage is bound by commits, which group. */
const RECONCILE_CONCURRENCY = 32;
const FEED = 'worker:executions';

/**
 * The `worker`: routes held orders and withdraws canceled ones (following the event log from its
 * checkpoint), applies the execution feed (from its last applied sequence number), and
 * periodically reconciles orders stuck in pending or pending_cancel. Steps for one order never
 * overlap in this process.
 */
export class OrderWorker {
  private readonly perOrder = new KeyedMutex();
  private subscription: ReturnType<EventStore['subscribeToAll']> | undefined;
  private feed: ExecutionFeedClient | undefined;
  private reconciler: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private readonly steps: Counter<'step' | 'outcome'> | undefined;
  private readonly routerCheckpoint: CheckpointWriter;
  private readonly feedCheckpoint: CheckpointWriter;

  constructor(private readonly options: OrderWorkerOptions) {
    const onError = (name: string) => (error: unknown) => options.logger.warn({ err: error, checkpoint: name }, 'worker checkpoint not saved');
    this.routerCheckpoint = new CheckpointWriter(options.db, ROUTER, onError(ROUTER));
    this.feedCheckpoint = new CheckpointWriter(options.db, FEED, onError(FEED));
    if (options.metrics) {
      this.steps = new Counter({ name: 'worker_steps_total', help: 'Workflow steps run by the worker', labelNames: ['step', 'outcome'], registers: [options.metrics] });
    }
  }

  async start(): Promise<void> {
    await this.options.db.query(
      `INSERT INTO projection_checkpoints (projection, position) VALUES ($1, -1), ($2, 0) ON CONFLICT (projection) DO NOTHING`,
      [ROUTER, FEED],
    );
    const routerAfter = await this.checkpoint(ROUTER);
    const feedAfter = await this.checkpoint(FEED);

    this.subscription = this.options.store.subscribeToAll(routerAfter >= 0n ? { after: routerAfter } : {});
    this.loop = this.follow(this.subscription);

    this.feed = new ExecutionFeedClient({
      url: this.options.feedUrl,
      after: Number(feedAfter),
      apply: (report) => this.applyReport(report),
      onError: (error) => this.options.logger.warn({ err: error }, 'execution feed problem'),
    });
    this.feed.start();

    this.reconciler = setInterval(() => void this.reconcileStuck(), this.options.reconcileEveryMs ?? 2_000);
    this.reconciler.unref();
  }

  private reconciling = false;

  async stop(): Promise<void> {
    clearInterval(this.reconciler);
    await this.feed?.stop();
    await this.subscription?.close();
    await this.loop?.catch(() => undefined);
    await this.routerCheckpoint.flush();
    await this.feedCheckpoint.flush();
  }

  /**
   * Orders pending or pending_cancel for longer than `stuckAfterMs`, asked about up to
   * `RECONCILE_CONCURRENCY` at a time (a backlog after an exchange outage clears in parallel, and
   * one slow answer does not hold up the rest). One pass at a time: a pass that outlasts the
   * interval is not joined by a second one working on the same orders.
   */
  async reconcileStuck(): Promise<number> {
    if (this.reconciling) return 0;
    this.reconciling = true;
    const stuckAfter = this.options.stuckAfterMs ?? 5_000;
    try {
      const rows = await this.options.db.query<{ id: string }>(
        `SELECT id::text AS id FROM orders WHERE status IN ('pending', 'pending_cancel') AND updated_at < $1 ORDER BY updated_at LIMIT 200`,
        [new Date(Date.now() - stuckAfter).toISOString()],
      );
      const queue = rows.map((row) => row.id);
      const lane = async (): Promise<void> => {
        for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
          const orderId = id;
          await this.step('reconcile', orderId, () => this.options.workflow.reconcileOrder(orderId));
        }
      };
      await Promise.all(Array.from({ length: RECONCILE_CONCURRENCY }, lane));
      return rows.length;
    } catch (error) {
      this.options.logger.warn({ err: error }, 'reconciler pass failed');
      return 0;
    } finally {
      this.reconciling = false;
    }
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
    if (!applied) throw new Error(`report ${report.seq} could not be applied`);
    this.feedCheckpoint.advance(BigInt(report.seq));
  }

  /** Runs one idempotent step; a failure is logged and left to the next attempt. */
  private async step<T>(name: string, orderId: string, work: () => Promise<T>): Promise<boolean> {
    try {
      const outcome = await this.perOrder.run(orderId, work);
      this.steps?.inc({ step: name, outcome: typeof outcome === 'string' ? outcome : 'ok' });
      return true;
    } catch (error) {
      this.steps?.inc({ step: name, outcome: 'error' });
      this.options.logger.error({ err: error, step: name, orderId }, 'workflow step failed');
      return false;
    }
  }

  private async checkpoint(name: string): Promise<bigint> {
    const [row] = await this.options.db.query<{ position: string }>('SELECT position::text AS position FROM projection_checkpoints WHERE projection = $1', [name]);
    return BigInt(row?.position ?? '-1');
  }
}
