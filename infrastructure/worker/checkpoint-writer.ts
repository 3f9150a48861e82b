import type { SqlClient } from '../persistence/sql-client.ts';

/**
 * One of the worker's checkpoints, written behind its work: `advance(v)` returns at once, one
 * write is out at a time, and values that arrive meanwhile are folded into the next write (the
 * newest wins, with at least `minIntervalMs` between writes). A checkpoint only saves work — every
 * step is idempotent, so one lost in a crash means steps run again, not a wrong answer — so
 * neither the work nor the disk is waited for.
 */
export class CheckpointWriter<T> {
  private wanted: T | undefined;
  private written: T | undefined;
  private writing: Promise<void> | undefined;

  constructor(
    private readonly db: SqlClient,
    private readonly save: (tx: SqlClient, value: T) => Promise<unknown>,
    private readonly onError: (error: unknown) => void,
    private readonly minIntervalMs = 50,
  ) {}

  advance(value: T): void {
    this.wanted = value;
    this.writing ??= this.drain();
  }

  /** Resolves once the last value asked for is written (shutdown). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.wanted !== undefined && this.wanted !== this.written) {
        const value = this.wanted;
        try {
          await this.db.transaction(async (tx) => {
            await tx.query('SET LOCAL synchronous_commit = off');
            await this.save(tx, value);
          });
          this.written = value;
        } catch (error) {
          this.onError(error);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, this.minIntervalMs));
      }
    } finally {
      this.writing = undefined;
    }
  }
}

/** A position in the event log (the router's): only ever moves forward. */
export const logCheckpoint = (name: string) => (tx: SqlClient, position: bigint) =>
  tx.query('UPDATE projection_checkpoints SET position = $2, updated_at = now() WHERE projection = $1 AND position < $2', [name, position.toString()]);
