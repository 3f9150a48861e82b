import type { Registry } from 'prom-client';
import type { EventStore } from '../../application/event-store/event-store.ts';
import type { SnapshotScheduler } from '../../application/audit/snapshot-scheduler.ts';
import type { OrderUpdates } from '../../application/market/market-data.ts';
import { ALL_PROJECTIONS } from '../../projections/all-projections.ts';
import type { Composition } from '../composition/container.ts';
import { TOKENS } from '../composition/tokens.ts';
import type { SqlClient } from '../persistence/sql-client.ts';
import { Projector } from '../projections/projector.ts';

/** The `projector` process (or the projector inside the embedded mode). */
export async function startProjector({ container, logger }: Composition): Promise<Projector> {
  const snapshots = container.resolve<SnapshotScheduler>(TOKENS.SnapshotScheduler);
  const projector = new Projector({
    store: container.resolve<EventStore>(TOKENS.EventStore),
    db: container.resolve<SqlClient>(TOKENS.ReadModelDb),
    projections: ALL_PROJECTIONS,
    logger,
    metrics: container.resolve<Registry>(TOKENS.Metrics),
    onOrderUpdates: (updates) => container.resolve<OrderUpdates>(TOKENS.OrderUpdates).publish(updates),
    // Account snapshots follow the log, so a point-in-time answer never folds a long history.
    onCommitted: (events) => snapshots.notice(events),
  });
  await projector.start();
  logger.info({ projections: ALL_PROJECTIONS.map((projection) => projection.name) }, 'projector running');
  return projector;
}
