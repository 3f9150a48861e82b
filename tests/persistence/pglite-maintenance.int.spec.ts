import { PGlite } from '@electric-sql/pglite';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PgliteSqlClient } from '../../infrastructure/persistence/pglite-client.ts';
import { PgliteMaintenance } from '../../infrastructure/persistence/pglite-maintenance.ts';

const WAL_SEGMENT_BYTES = 16 * 1024 * 1024;

/**
 * PGlite is one PostgreSQL backend in single-user mode: no autovacuum, no checkpointer. These
 * tests write what the embedded mode writes at rest (rows inserted and deleted, WAL) and check
 * that the maintenance the embedded mode runs keeps both bounded.
 */
describe('PGlite maintenance: the embedded mode\'s autovacuum and checkpointer', () => {
  let pglite: PGlite;
  let db: PgliteSqlClient;
  let metrics: Registry;
  let maintenance: PgliteMaintenance;

  beforeAll(async () => {
    pglite = new PGlite();
    db = new PgliteSqlClient(pglite);
  });
  beforeEach(async () => {
    metrics = new Registry();
    maintenance = new PgliteMaintenance({ db, everyMs: 3_600_000, logger: pino({ level: 'silent' }), metrics });
    // Rows of 2 kB stored as they are (no compression), so a few thousand of them make megabytes.
    await db.exec('DROP TABLE IF EXISTS churn; CREATE TABLE churn (id bigint PRIMARY KEY, payload text NOT NULL); ALTER TABLE churn ALTER payload SET STORAGE PLAIN');
  });
  afterAll(async () => {
    await maintenance?.stop();
    await pglite?.close();
  });

  const insertRows = (from: number, count: number) => db.query(`INSERT INTO churn SELECT g, repeat('x', 2000) FROM generate_series($1::bigint, $2::bigint) AS g`, [from, from + count - 1]);
  const tableBytes = async () => Number((await db.query<{ bytes: string }>("SELECT pg_total_relation_size('churn')::text AS bytes"))[0]!.bytes);
  const walBytes = async () => Number((await db.query<{ bytes: string }>('SELECT coalesce(sum(size), 0)::text AS bytes FROM pg_ls_waldir()'))[0]!.bytes);

  it('given rows deleted, when maintenance runs before as many are inserted again, then the new rows reuse their space', async () => {
    await insertRows(0, 5_000);
    const full = await tableBytes();

    for (let round = 1; round <= 3; round += 1) {
      await db.exec('DELETE FROM churn');
      await maintenance.runNow();
      await insertRows(round * 5_000, 5_000);
    }

    // Without VACUUM each round would add the table's size again (dead rows are never reclaimed).
    expect(await tableBytes()).toBeLessThan(full * 1.5);
  }, 90_000);

  it('given far more WAL written than one segment holds, when maintenance runs between the writes, then the WAL stays a few segments', async () => {
    for (let round = 0; round < 12; round += 1) {
      await insertRows(round * 5_000, 5_000);
      await db.exec('DELETE FROM churn');
      await maintenance.runNow();
    }
    const written = Number((await db.query<{ bytes: string }>("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS bytes"))[0]!.bytes);

    // Without a checkpoint every segment written stays (PGlite never checkpoints by itself).
    expect(written).toBeGreaterThan(8 * WAL_SEGMENT_BYTES);
    expect(await walBytes()).toBeLessThanOrEqual(6 * WAL_SEGMENT_BYTES);
  }, 90_000);

  it('records the database and WAL sizes it leaves on /metrics', async () => {
    await insertRows(0, 1_000);
    await maintenance.runNow();

    const gauge = async (name: string) => (await metrics.getSingleMetric(name)!.get()).values[0]?.value;
    expect(await gauge('pglite_database_bytes')).toBe(Number((await db.query<{ bytes: string }>('SELECT pg_database_size(current_database())::text AS bytes'))[0]!.bytes));
    expect(await gauge('pglite_wal_bytes')).toBe(await walBytes());
  });
});
