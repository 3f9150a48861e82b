import type { EventStore } from '../../application/event-store/event-store.ts';
import type { RowProjection } from '../../projections/row-projection.ts';
import type { SqlClient } from '../persistence/sql-client.ts';
import { RowStore } from '../read-models/row-store.ts';
import { applyBatch } from './projection-batch.ts';
import { rebuildProjection, rebuildTableName } from './rebuild-projection.ts';

export interface RowDifference {
  /** The row's key columns and values. */
  readonly key: Readonly<Record<string, unknown>>;
  /** The live row, or null when only the rebuilt table has it. */
  readonly live: Readonly<Record<string, unknown>> | null;
  /** The rebuilt row, or null when only the live table has it. */
  readonly rebuilt: Readonly<Record<string, unknown>> | null;
  /** Columns whose values differ (every column when one side is missing). */
  readonly columns: readonly string[];
}

export interface ProjectionVerdict {
  readonly projection: string;
  readonly table: string;
  /** Both tables hold the log folded up to this position (the live projection's checkpoint). */
  readonly position: bigint;
  readonly liveRows: number;
  readonly rebuiltRows: number;
  readonly differingRows: number;
  /** The first differing rows, in key order. */
  readonly differences: readonly RowDifference[];
}

export interface VerifyOptions {
  readonly store: EventStore;
  /** A connection as the tables' owner (creates and drops the shadow table). */
  readonly db: SqlClient;
  readonly projection: RowProjection;
  /** Differing rows to report. */
  readonly examples?: number;
  readonly onProgress?: (events: number, position: bigint) => void;
}

const sameValue = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Checks a live read model against a replay of the log: rebuilds it into a shadow table up to
 * the live projection's checkpoint, then — holding that checkpoint row, so the live projector
 * waits and the live table stands still at exactly that position — folds the events the
 * projector applied meanwhile into the shadow and compares every row, all columns, by key.
 * The shadow table is dropped afterwards.
 */
export async function verifyProjection(options: VerifyOptions): Promise<ProjectionVerdict> {
  const { store, db, projection } = options;
  const live = projection.table;
  const shadow = rebuildTableName(projection);
  const checkpoint = async (client: SqlClient, lock: boolean): Promise<bigint> => {
    const [row] = await client.query<{ position: string }>(
      `SELECT position::text AS position FROM projection_checkpoints WHERE projection = $1${lock ? ' FOR UPDATE' : ''}`,
      [projection.name],
    );
    return row ? BigInt(row.position) : -1n;
  };

  try {
    // The bulk, while the live projector carries on.
    const rebuilt = await rebuildProjection({ store, db, projection, swap: false, upTo: await checkpoint(db, false), ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
    return await db.transaction(async (tx) => {
      const position = await checkpoint(tx, true);
      const target = [{ projection, rows: new RowStore(projection, shadow) }];
      for (let after = rebuilt.position; after < position; ) {
        const events = (await store.readAll({ after, maxCount: 2_000 })).filter((event) => event.position <= position);
        if (events.length === 0) break;
        await applyBatch(tx, target, events, new Map([[projection.name, after]]));
        after = events[events.length - 1]!.position;
      }
      return { projection: projection.name, table: live, position, ...(await compareTables(tx, projection, live, shadow, options.examples ?? 5)) };
    });
  } finally {
    await db.exec(`DROP TABLE IF EXISTS ${shadow} CASCADE`);
  }
}

async function compareTables(db: SqlClient, projection: RowProjection, live: string, shadow: string, examples: number) {
  const { keyColumns, columns } = projection;
  const join = `${live} l FULL OUTER JOIN ${shadow} r ON ${keyColumns.map((column) => `l.${column} = r.${column}`).join(' AND ')}`;
  const first = keyColumns[0]!;
  const differs = `(l.${first} IS NULL OR r.${first} IS NULL OR (${columns.map((c) => `l.${c}`).join(', ')}) IS DISTINCT FROM (${columns.map((c) => `r.${c}`).join(', ')}))`;
  const [counts] = await db.query<{ live: string; rebuilt: string; differing: string }>(
    `SELECT count(l.${first})::text AS live, count(r.${first})::text AS rebuilt, (count(*) FILTER (WHERE ${differs}))::text AS differing FROM ${join}`,
  );
  const rows = await db.query<{ live: Record<string, unknown> | null; rebuilt: Record<string, unknown> | null }>(
    `SELECT CASE WHEN l.${first} IS NULL THEN NULL ELSE jsonb_build_object(${columns.map((c) => `'${c}', l.${c}`).join(', ')}) END AS live,
            CASE WHEN r.${first} IS NULL THEN NULL ELSE jsonb_build_object(${columns.map((c) => `'${c}', r.${c}`).join(', ')}) END AS rebuilt
       FROM ${join} WHERE ${differs}
      ORDER BY ${keyColumns.map((column) => `coalesce(l.${column}, r.${column})`).join(', ')} LIMIT $1`,
    [examples],
  );
  // jsonb keeps its own key order: give the rows back in the table's column order.
  const ordered = (row: Record<string, unknown> | null) => (row ? Object.fromEntries(columns.map((column) => [column, row[column]])) : null);
  const differences = rows.map(({ live: liveJson, rebuilt: rebuiltJson }): RowDifference => {
    const liveRow = ordered(liveJson);
    const rebuilt = ordered(rebuiltJson);
    const present = (liveRow ?? rebuilt)!;
    return {
      key: Object.fromEntries(keyColumns.map((column) => [column, present[column]])),
      live: liveRow,
      rebuilt,
      columns: liveRow && rebuilt ? columns.filter((column) => !sameValue(liveRow[column], rebuilt[column])) : [...columns],
    };
  });
  return { liveRows: Number(counts!.live), rebuiltRows: Number(counts!.rebuilt), differingRows: Number(counts!.differing), differences };
}
