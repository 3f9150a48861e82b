import type { SqlClient } from '../persistence/sql-client.ts';

/**
 * One of the worker's checkpoints, written behind its work: `advance(p)` returns at once, one
 * write is out at a time, and positions that arrive meanwhile are folded into the next write
 * (with at least `minIntervalMs` between writes). A checkpoint only saves work — every step is
 * idempotent, so one lost in a crash means steps run again, not a wrong answer — so neither the
 * work nor the disk is waited for.
 */
export class CheckpointWriter {
  private wanted: bigint | undefined;
  private written: bigint | undefined;
  private writing: Promise<void> | undefined;

  constructor(
    private readonly db: SqlClient,
    private readonly name: string,
    private readonly onError: (error: unknown) => void,
    private readonly minIntervalMs = 50,
  ) {}

  advance(position: bigint): void {
    if (this.wanted === undefined || position > this.wanted) this.wanted = position;
    this.writing ??= this.drain();
  }

  /** Resolves once the last position asked for is written (shutdown). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.wanted !== undefined && this.wanted !== this.written) {
        const position = this.wanted;
        try {
          await this.db.transaction(async (tx) => {
            await tx.query('SET LOCAL synchronous_commit = off');
            await tx.query('UPDATE projection_checkpoints SET position = $2, updated_at = now() WHERE projection = $1 AND position < $2', [this.name, position.toString()]);
          });
          this.written = position;
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
