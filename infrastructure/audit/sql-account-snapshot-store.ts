import type { AccountSnapshot, AccountSnapshotStore } from '../../application/audit/account-snapshots.ts';
import { ACCOUNT_STATE_FORMAT, decodeAccountState, encodeAccountState } from '../../application/audit/account-state-codec.ts';
import type { Cut } from '../../application/audit/instant.ts';
import type { SqlClient } from '../persistence/sql-client.ts';

interface SnapshotRow {
  revision: string;
  position: string;
  recorded_until: Date | string;
  last_event_id: string;
  state: unknown;
}

/** Account snapshots in `account_snapshots` (PostgreSQL or PGlite), as JSON of the current format. */
export class SqlAccountSnapshotStore implements AccountSnapshotStore {
  constructor(private readonly db: SqlClient) {}

  async latestWithin(accountId: string, cut?: Cut): Promise<AccountSnapshot | undefined> {
    // Positions grow with revisions and recorded_until never falls: the newest row within the cut is the best.
    const [row] = await this.db.query<SnapshotRow>(
      `SELECT revision::text AS revision, position::text AS position, recorded_until, last_event_id::text AS last_event_id, state
         FROM account_snapshots
        WHERE account_id = $1 AND format = $2 AND ($3::bigint IS NULL OR position <= $3::bigint)
          AND ($4::timestamptz IS NULL OR recorded_until <= $4::timestamptz)
        ORDER BY account_snapshots.revision DESC LIMIT 1`,
      [accountId, ACCOUNT_STATE_FORMAT, cut ? cut.position.toString() : null, cut?.time ? cut.time.toISOString() : null],
    );
    if (!row) return undefined;
    return {
      accountId,
      revision: BigInt(row.revision),
      position: BigInt(row.position),
      recordedUntil: row.recorded_until instanceof Date ? row.recorded_until : new Date(row.recorded_until),
      lastEventId: row.last_event_id,
      state: decodeAccountState(typeof row.state === 'string' ? JSON.parse(row.state) : row.state),
    };
  }

  async save(snapshot: AccountSnapshot): Promise<void> {
    await this.db.query(
      `INSERT INTO account_snapshots (account_id, revision, position, recorded_until, last_event_id, format, state)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
       ON CONFLICT (account_id, revision) DO UPDATE
         SET position = EXCLUDED.position, recorded_until = EXCLUDED.recorded_until, last_event_id = EXCLUDED.last_event_id,
             format = EXCLUDED.format, state = EXCLUDED.state, created_at = now()`,
      [
        snapshot.accountId,
        snapshot.revision.toString(),
        snapshot.position.toString(),
        snapshot.recordedUntil.toISOString(),
        snapshot.lastEventId,
        ACCOUNT_STATE_FORMAT,
        JSON.stringify(encodeAccountState(snapshot.state)),
      ],
    );
  }
}
