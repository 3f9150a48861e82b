import type { ProjectionProgress } from '../../application/read-models/queries.ts';
import type { SqlClient } from '../persistence/sql-client.ts';

/** How far the read models have got: the lowest checkpoint of the projections named. */
export class SqlProjectionProgress implements ProjectionProgress {
  constructor(
    private readonly db: SqlClient,
    private readonly projections: readonly string[],
  ) {}

  async appliedPosition(): Promise<bigint> {
    const [row] = await this.db.query<{ position: string | null; known: string }>(
      'SELECT min(position)::text AS position, count(*)::text AS known FROM projection_checkpoints WHERE projection = ANY($1)',
      [this.projections],
    );
    // A projection without a checkpoint row has applied nothing yet.
    if (!row?.position || Number(row.known) < this.projections.length) return -1n;
    return BigInt(row.position);
  }
}
