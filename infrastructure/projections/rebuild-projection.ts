import type { EventStore } from '../../application/event-store/event-store.ts';
import type { RowProjection } from '../../projections/row-projection.ts';
import type { SqlClient } from '../persistence/sql-client.ts';
import { AUDIT_READ_MODEL_TABLES } from '../audit/audit-schema.ts';
import { API_KEY_READ_MODEL_TABLES } from '../api-keys/api-key-schema.ts';
import { ORDER_PARTITIONS, READ_MODEL_TABLES } from '../read-models/read-model-schema.ts';
import { RowStore } from '../read-models/row-store.ts';
import { applyBatch } from './projection-batch.ts';

export interface RebuildOptions {
  readonly store: EventStore;
  /** A connection as the tables' owner (DDL). */
  readonly db: SqlClient;
  readonly projection: RowProjection;
  /** Swap the rebuilt table in (true) or leave it beside the live one for comparison. */
  readonly swap: boolean;
  /** Role to grant the new table to (the application's), when it is not the owner. */
  readonly grantTo?: string;
  readonly batchSize?: number;
  /** Fold the log only up to this position (inclusive); to its settled end without it. Not with `swap`. */
  readonly upTo?: bigint;
  readonly onProgress?: (events: number, position: bigint) => void;
}

export interface RebuildResult {
  readonly table: string;
  readonly events: number;
  readonly position: bigint;
}

export function rebuildTableName(projection: RowProjection): string {
  return `${projection.table}__rebuild`;
}

/** The DDL of every read-model table, by live name. */
const TABLE_DDL: Readonly<Record<string, (table: string) => string>> = { ...READ_MODEL_TABLES, ...AUDIT_READ_MODEL_TABLES, ...API_KEY_READ_MODEL_TABLES };

/**
 * Rebuilds a read model from position 0 into a fresh table while the live one keeps answering,
 * then — holding the projection's checkpoint row, which pauses the live projector for it —
 * applies the last events and swaps the tables by renaming. Queries wait only for the rename.
 */
export async function rebuildProjection(options: RebuildOptions): Promise<RebuildResult> {
  const { store, db, projection } = options;
  const fresh = rebuildTableName(projection);
  const rows = new RowStore(projection, fresh);
  const target = [{ projection, rows }];
  const batchSize = options.batchSize ?? 2_000;
  let position = -1n;
  let count = 0;

  const { upTo } = options;
  if (upTo !== undefined && options.swap) throw new Error('a rebuild that is swapped in folds the whole log');
  /** Folds the next batch of the log into the fresh table; false once the log is exhausted. */
  const applyNext = async (tx: SqlClient): Promise<boolean> => {
    const read = await store.readAll({ after: position, maxCount: batchSize });
    const events = upTo === undefined ? read : read.filter((event) => event.position <= upTo);
    if (events.length === 0) return false;
    await applyBatch(tx, target, events, new Map([[projection.name, position]]));
    position = events[events.length - 1]!.position;
    count += events.length;
    options.onProgress?.(count, position);
    return true;
  };

  await db.exec(`DROP TABLE IF EXISTS ${fresh} CASCADE;\n${TABLE_DDL[projection.table]!(fresh)}`);
  // The bulk of the history, each batch in a transaction of its own.
  while (await db.transaction(applyNext));
  if (!options.swap) {
    if (options.grantTo) await db.exec(`GRANT SELECT ON ${fresh} TO ${options.grantTo}`);
    return { table: fresh, events: count, position };
  }

  await db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO projection_checkpoints (projection, position) VALUES ($1, -1) ON CONFLICT (projection) DO NOTHING`,
      [projection.name],
    );
    await tx.query('SELECT position FROM projection_checkpoints WHERE projection = $1 FOR UPDATE', [projection.name]);
    while (await applyNext(tx));
    const live = projection.table;
    const partitions =
      live === 'orders' ? Array.from({ length: ORDER_PARTITIONS }, (_, i) => `ALTER TABLE ${fresh}_p${i} RENAME TO ${live}_p${i};`).join('\n') : '';
    await tx.exec(`
      ALTER TABLE ${live} RENAME TO ${live}__old;
      ALTER TABLE ${fresh} RENAME TO ${live};
      DROP TABLE ${live}__old CASCADE;
      ${partitions}
      ${options.grantTo ? `GRANT SELECT, INSERT, UPDATE, DELETE ON ${live} TO ${options.grantTo};` : ''}`);
    await tx.query('UPDATE projection_checkpoints SET position = $2, updated_at = now() WHERE projection = $1', [projection.name, position.toString()]);
  });
  return { table: projection.table, events: count, position };
}
