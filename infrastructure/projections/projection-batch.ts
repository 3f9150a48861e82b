import type { RecordedEvent } from '../../application/event-store/event-store.ts';
import type { Row, RowProjection } from '../../projections/row-projection.ts';
import type { SqlClient } from '../persistence/sql-client.ts';
import { RowStore } from '../read-models/row-store.ts';

export interface ProjectionTarget {
  readonly projection: RowProjection;
  readonly rows: RowStore;
}

/** Told each row a projection's evolve produced, event by event (the row after it; null when deleted). */
export type AppliedEventObserver = (projection: string, event: RecordedEvent, row: Row | null) => void;

export function liveTargets(projections: readonly RowProjection[]): ProjectionTarget[] {
  return projections.map((projection) => ({ projection, rows: new RowStore(projection, projection.table) }));
}

/**
 * Folds a batch of events into rows, in one transaction with the checkpoints: rows an event
 * already covered (at or before a projection's checkpoint) are skipped, so a redelivered batch
 * changes nothing. Each row is read once and written once per batch; `observe` sees every row an
 * event produced, in order.
 */
export async function applyBatch(
  tx: SqlClient,
  targets: readonly ProjectionTarget[],
  events: readonly RecordedEvent[],
  checkpoints: ReadonlyMap<string, bigint>,
  observe?: AppliedEventObserver,
): Promise<void> {
  for (const { projection, rows } of targets) {
    const from = checkpoints.get(projection.name) ?? -1n;
    const relevant = events.filter((event) => event.position > from && projection.handles.has(event.type));
    if (relevant.length === 0) continue;
    // Every row the batch touches is read in one query, folded in memory, then written once.
    const keys = new Map<string, Partial<Row>>();
    for (const event of relevant) {
      const key = projection.keyOf(event);
      keys.set(rows.keyString(key), key);
    }
    const current = await rows.loadMany(tx, [...keys.values()]);
    const touched = new Map<string, { key: Partial<Row>; row: Row | null }>();
    for (const event of relevant) {
      const key = projection.keyOf(event);
      const id = rows.keyString(key);
      const before = touched.has(id) ? touched.get(id)!.row : (current.get(id) ?? null);
      const row = projection.evolve(before, event);
      touched.set(id, { key, row });
      observe?.(projection.name, event, row);
    }
    await rows.saveMany(tx, [...touched.values()]);
  }
}
