import {
  type AllSubscription,
  type AppendResult,
  type EventMetadata,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeToAllOptions,
} from '../../../application/event-store/event-store.ts';
import { validateAppend } from '../../../application/event-store/validate-append.ts';
import type { SqlClient } from '../../persistence/sql-client.ts';
import type { LogWakeups } from '../log-wakeups.ts';
import { AppendBatcher, type BatchingOptions } from './append-batcher.ts';
import { PollingAllSubscription, type PollingOptions } from './polling-all-subscription.ts';

interface EventRow {
  position: string;
  stream_id: string;
  revision: string;
  id: string;
  type: string;
  data: unknown;
  metadata: EventMetadata;
  recorded_at: Date;
  hash: string | null;
}

// Columns come out as text (bigint exceeds JavaScript numbers); every ORDER BY names the table's
// column, because a bare name would sort by these text aliases: '100…' before '99…'.
const EVENT_COLUMNS =
  'position::text AS position, stream_id, revision::text AS revision, id::text AS id, type, data, metadata, recorded_at, hash';


const DEFAULT_READ_COUNT = 4096;

export interface SqlEventStoreOptions {
  readonly db: SqlClient;
  readonly wakeups: LogWakeups;
  readonly subscription?: Partial<PollingOptions>;
  /** Group commit of concurrent appends (see AppendBatcher). */
  readonly batching?: BatchingOptions;
  /** Called when the store is closed, after its subscriptions stopped. */
  readonly onClose?: () => Promise<void>;
}

/** The event store over the SQL of `event-log-schema.ts`: PostgreSQL and PGlite alike. */
export class SqlEventStore implements EventStore {
  private readonly subscriptions = new Set<PollingAllSubscription>();

  private readonly appender: AppendBatcher;

  constructor(private readonly options: SqlEventStoreOptions) {
    this.appender = new AppendBatcher(options.db, options.batching ?? { maxInFlight: 4, maxBatch: 64 }, () => options.wakeups.appended());
  }

  /** Refuses a database whose log is ahead of its transaction ids (see ADR 0002). */
  async checkPositionsMatchTransactionIds(): Promise<void> {
    const [row] = await this.options.db.query<{ ahead: boolean }>(
      `SELECT coalesce(max(position) >> 16, 0) >= pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS ahead FROM events`,
    );
    if (row?.ahead) {
      throw new Error(
        'event log positions are ahead of this cluster\'s transaction ids (restored from a logical dump?); ' +
          'see docs/adr/0002-global-log-ordering.md before appending',
      );
    }
  }

  async append(streamId: string, events: readonly EventToAppend[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    validateAppend(streamId, events);
    return this.appender.append(streamId, events, expectedRevision);
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const limit = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    const rows = backwards
      ? await this.options.db.query<EventRow>(
          `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = $1 AND revision <= $2 ORDER BY events.revision DESC LIMIT $3`,
          [streamId, (options.fromRevision ?? BigInt(Number.MAX_SAFE_INTEGER)).toString(), limit],
        )
      : await this.options.db.query<EventRow>(
          `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = $1 AND revision >= $2 ORDER BY events.revision LIMIT $3`,
          [streamId, (options.fromRevision ?? 0n).toString(), limit],
        );
    return rows.map(toRecordedEvent);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    // The first maxCount events after the position, then only those below the horizon: they are
    // a prefix in position order, so the answer is the same as bounding the scan by the horizon,
    // but the plan is an ordered walk of the primary key whatever the planner knows of the
    // table (bounded on both sides, a young table's range was read whole and sorted).
    const rows = await this.options.db.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM (SELECT * FROM events WHERE position > $1 ORDER BY position LIMIT $2) AS events
        WHERE events.position < (SELECT event_log_horizon())
        ORDER BY events.position`,
      [(options.after ?? -1n).toString(), options.maxCount ?? DEFAULT_READ_COUNT],
    );
    return rows.map(toRecordedEvent);
  }

  /** True when events after `position` exist that readers may not see yet (still settling). */
  async hasUnsettledEventsAfter(position: bigint): Promise<boolean> {
    // Ordered by the key with a limit, this is one probe of the primary key whatever the planner
    // knows of the table; as a bare EXISTS, a young table without statistics was scanned whole
    // on every idle poll (the common case: nothing there).
    const rows = await this.options.db.query<{ position: string }>('SELECT position::text AS position FROM events WHERE position > $1 ORDER BY position LIMIT 1', [position.toString()]);
    return rows.length > 0;
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): AllSubscription {
    const subscription = new PollingAllSubscription(this, this.options.wakeups, options.after, this.options.subscription, () =>
      this.subscriptions.delete(subscription),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<bigint> {
    const [row] = await this.options.db.query<{ head: string }>(
      'SELECT coalesce(max(position), 0)::text AS head FROM events WHERE position < event_log_horizon()',
    );
    return BigInt(row?.head ?? '0');
  }

  async ping(): Promise<boolean> {
    try {
      await this.options.db.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    await this.options.wakeups.close();
    await this.options.onClose?.();
  }
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    streamId: row.stream_id,
    revision: BigInt(row.revision),
    position: BigInt(row.position),
    id: row.id,
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    recordedAt: row.recorded_at instanceof Date ? row.recorded_at : new Date(row.recorded_at),
    hash: row.hash ?? '',
  };
}
