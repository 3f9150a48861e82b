import { Gauge, Histogram, type Registry } from 'prom-client';
import type { Logger } from '../logging/logger.ts';
import { PeriodicJob } from '../scheduling/periodic-job.ts';
import type { SqlClient } from './sql-client.ts';

export interface PgliteMaintenanceOptions {
  readonly db: SqlClient;
  /** PGLITE_MAINTENANCE_EVERY_MS. */
  readonly everyMs: number;
  readonly logger: Logger;
  readonly metrics?: Registry;
}

/**
 * What PostgreSQL's autovacuum and checkpointer do, for PGlite, which runs neither (it is one
 * backend in single-user mode): without it deleted and updated rows are never reclaimed, and WAL
 * segments pile up in memory until the process meets WebAssembly's 4 GiB
 * (docs/adr/0018-embedded-memory-bounds.md). Every `everyMs` it vacuums the database
 * and takes a checkpoint, so freed pages are reused and old WAL segments recycled; then it
 * records the database's and the WAL's size on /metrics.
 */
export class PgliteMaintenance {
  private readonly job: PeriodicJob<void>;
  private readonly seconds: Histogram | undefined;
  private readonly databaseBytes: Gauge | undefined;
  private readonly walBytes: Gauge | undefined;

  constructor(private readonly options: PgliteMaintenanceOptions) {
    this.job = new PeriodicJob(() => this.maintain(), options.everyMs);
    if (options.metrics) {
      const registers = [options.metrics];
      this.seconds = new Histogram({ name: 'pglite_maintenance_seconds', help: 'Time one VACUUM and CHECKPOINT of PGlite took', buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers });
      this.databaseBytes = new Gauge({ name: 'pglite_database_bytes', help: "PGlite's database files (tables and indexes), after the last maintenance", registers });
      this.walBytes = new Gauge({ name: 'pglite_wal_bytes', help: "PGlite's WAL segments, after the last maintenance", registers });
    }
  }

  start(): void {
    this.job.start();
  }

  stop(): Promise<void> {
    return this.job.stop();
  }

  /** Runs once (after any run in flight). */
  runNow(): Promise<void> {
    return this.job.runNow();
  }

  private async maintain(): Promise<void> {
    const end = this.seconds?.startTimer();
    try {
      await this.options.db.exec('VACUUM');
      await this.options.db.exec('CHECKPOINT');
      end?.();
      const [size] = await this.options.db.query<{ database: string; wal: string }>(
        'SELECT pg_database_size(current_database())::text AS database, (SELECT coalesce(sum(size), 0) FROM pg_ls_waldir())::text AS wal',
      );
      this.databaseBytes?.set(Number(size!.database));
      this.walBytes?.set(Number(size!.wal));
    } catch (error) {
      this.options.logger.warn({ err: error }, 'PGlite maintenance (VACUUM, CHECKPOINT) failed; trying again later');
    }
  }
}
