import { Counter, Gauge, type Registry } from 'prom-client';
import type { EventStore, RecordedEvent } from '../../application/event-store/event-store.ts';
import type { RowProjection } from '../../projections/row-projection.ts';
import type { OrderUpdate } from '../../application/orders/order-updates.ts';
import type { Logger } from '../logging/logger.ts';
import type { SqlClient } from '../persistence/sql-client.ts';
import { OrderUpdateCollector } from './order-update-collector.ts';
import { applyBatch, liveTargets } from './projection-batch.ts';
import { SqlProjectionProgress } from './projection-progress.ts';

export interface ProjectorOptions {
  readonly store: EventStore;
  readonly db: SqlClient;
  readonly projections: readonly RowProjection[];
  readonly logger: Logger;
  readonly metrics?: Registry;
  readonly batchSize?: number;
  /** Told, after each commit, one update per order event the batch applied, in log order (live order updates). */
  readonly onOrderUpdates?: (updates: OrderUpdate[]) => Promise<void>;
  /** Told, after each commit, the events it applied (in log order); must return at once and never throw. */
  readonly onCommitted?: (events: readonly RecordedEvent[]) => void;
}

const NO_POSITION = -1n;

/**
 * The projector: one catch-up subscription to the global log, batches of events folded into
 * every read model, each batch committed with the checkpoints it reached — so at-least-once
 * delivery has an exactly-once effect. Concurrent projectors are safe: each batch locks the
 * checkpoint rows and skips what another already applied.
 */
export class Projector {
  private readonly targets;
  private readonly positions;
  private readonly names: string[];
  private readonly progress: SqlProjectionProgress;
  private running = false;
  private loop: Promise<void> | undefined;
  private subscription: ReturnType<EventStore['subscribeToAll']> | undefined;
  private applied = NO_POSITION;
  private readonly waiters = new Set<{ position: bigint; resolve: () => void }>();
  private readonly lag: Gauge | undefined;
  private readonly appliedEvents: Counter | undefined;

  constructor(private readonly options: ProjectorOptions) {
    this.targets = liveTargets(options.projections);
    this.positions = this.targets.find((target) => target.projection.name === 'positions');
    this.names = options.projections.map((projection) => projection.name);
    this.progress = new SqlProjectionProgress(options.db, this.names);
    if (options.metrics) {
      this.lag = new Gauge({ name: 'projection_lag_seconds', help: 'Age of the newest event the projector has applied, while events wait behind it', registers: [options.metrics] });
      this.appliedEvents = new Counter({ name: 'projection_events_total', help: 'Events read by the projector', registers: [options.metrics] });
    }
  }

  /** The lowest checkpoint of the projections: everything up to it is in every read model. */
  appliedPosition(): Promise<bigint> {
    return this.progress.appliedPosition();
  }

  async start(): Promise<void> {
    await this.options.db.query(
      `INSERT INTO projection_checkpoints (projection, position) SELECT unnest($1::text[]), -1 ON CONFLICT (projection) DO NOTHING`,
      [this.names],
    );
    this.applied = await this.appliedPosition();
    this.running = true;
    this.loop = this.run().catch((error: unknown) => {
      this.options.logger.fatal({ err: error }, 'projector stopped');
      throw error;
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.subscription?.close();
    await this.loop?.catch(() => undefined);
  }

  /** Resolves once every read model has applied `position` (used in-process, e.g. embedded mode). */
  waitFor(position: bigint): Promise<void> {
    if (this.applied >= position) return Promise.resolve();
    return new Promise((resolve) => this.waiters.add({ position, resolve }));
  }

  private async run(): Promise<void> {
    const subscription = this.options.store.subscribeToAll(this.applied >= 0n ? { after: this.applied } : {});
    this.subscription = subscription;
    const events = subscription[Symbol.asyncIterator]();
    let pending: Promise<IteratorResult<RecordedEvent>> | undefined;
    const batchSize = this.options.batchSize ?? 500;
    while (this.running) {
      const first = await (pending ?? events.next());
      pending = undefined;
      if (first.done) return;
      const batch = [first.value];
      // Take what the subscription already holds, without waiting for the next event.
      while (batch.length < batchSize) {
        pending = events.next();
        const next = await Promise.race([pending, new Promise<'later'>((resolve) => setTimeout(() => resolve('later'), 1))]);
        if (next === 'later') break;
        pending = undefined;
        if (next.done) break;
        batch.push(next.value);
      }
      await this.commit(batch);
    }
  }

  private async commit(batch: RecordedEvent[]): Promise<void> {
    const last = batch[batch.length - 1]!;
    const collector = this.options.onOrderUpdates ? new OrderUpdateCollector() : undefined;
    const updates = await this.options.db.transaction(async (tx) => {
      // Read models are derived from the log and carry their checkpoint in this transaction: a
      // commit lost in a crash is applied again from the durable checkpoint, so the projector
      // need not wait for the disk (the event log itself always does).
      await tx.query('SET LOCAL synchronous_commit = off');
      const rows = await tx.query<{ projection: string; position: string }>(
        'SELECT projection, position::text AS position FROM projection_checkpoints WHERE projection = ANY($1) FOR UPDATE',
        [this.names],
      );
      const checkpoints = new Map(rows.map((row) => [row.projection, BigInt(row.position)]));
      await applyBatch(tx, this.targets, batch, checkpoints, collector?.observe);
      await tx.query('UPDATE projection_checkpoints SET position = $2, updated_at = now() WHERE projection = ANY($1) AND position < $2', [
        this.names,
        last.position.toString(),
      ]);
      // Fill updates carry the position they left: read, where the batch does not say it, here.
      return collector && !collector.isEmpty ? collector.updates(tx, this.positions) : [];
    });
    if (this.options.onOrderUpdates && updates.length > 0) {
      // Live updates are best effort: the read model is the truth, and a client can always query it.
      await this.options.onOrderUpdates(updates).catch((error: unknown) => this.options.logger.warn({ err: error }, 'order updates not published'));
    }
    this.applied = last.position;
    this.options.onCommitted?.(batch);
    this.appliedEvents?.inc(batch.length);
    this.lag?.set(Math.max(0, (Date.now() - last.recordedAt.getTime()) / 1000));
    for (const waiter of this.waiters) {
      if (waiter.position <= this.applied) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }
}
