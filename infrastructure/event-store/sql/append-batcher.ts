import {
  InvalidAppendError,
  WrongExpectedRevisionError,
  describeExpected,
  type AppendResult,
  type EventToAppend,
  type ExpectedRevision,
} from '../../../application/event-store/event-store.ts';
import { sqlState, type SqlClient } from '../../persistence/sql-client.ts';

interface PendingAppend {
  readonly streamId: string;
  readonly expected: ExpectedRevision;
  readonly events: readonly EventToAppend[];
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

interface AppendRow {
  item?: number;
  status: 'ok' | 'duplicate' | 'conflict';
  next: string | null;
  position: string | null;
  actual: string | null;
}

export interface BatchingOptions {
  /** Appends sent at once; while that many are out, new ones queue and leave together. */
  readonly maxInFlight: number;
  /** Appends in one transaction at most. */
  readonly maxBatch: number;
}

const UNIQUE_VIOLATION = '23505';
const MAX_EVENTS_PER_TRANSACTION = 65_536;

/**
 * Group commit for appends: an append goes out at once while fewer than `maxInFlight` are out;
 * otherwise it queues, and the queue leaves as one transaction (`append_events_batch`) — one
 * round trip and one commit for many appends. Each append keeps its own outcome; if a batch
 * fails as a whole, its appends are retried one by one so only the faulty one fails.
 */
export class AppendBatcher {
  private readonly queue: PendingAppend[] = [];
  private inFlight = 0;

  constructor(
    private readonly db: SqlClient,
    private readonly options: BatchingOptions,
    private readonly onAppended: () => void,
  ) {}

  append(streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ streamId, events, expected, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const batch: PendingAppend[] = [];
      let eventCount = 0;
      while (batch.length < this.options.maxBatch && this.queue.length > 0) {
        const next = this.queue[0]!;
        if (batch.length > 0 && eventCount + next.events.length > MAX_EVENTS_PER_TRANSACTION) break;
        batch.push(this.queue.shift()!);
        eventCount += next.events.length;
      }
      this.inFlight += 1;
      void (batch.length === 1 ? this.sendOne(batch[0]!) : this.sendMany(batch)).finally(() => {
        this.inFlight -= 1;
        this.onAppended();
        this.dispatch();
      });
    }
  }

  private async sendOne(pending: PendingAppend): Promise<void> {
    try {
      const [row] = await this.db.query<AppendRow>(
        'SELECT status, next_expected_revision::text AS next, last_position::text AS position, actual_revision::text AS actual FROM append_events($1, $2, $3::jsonb)',
        [pending.streamId, describeExpected(pending.expected), serialise(pending.events)],
      );
      this.settle(pending, row);
    } catch (error) {
      if (sqlState(error) === UNIQUE_VIOLATION) await this.resolveReusedIds(pending);
      else pending.reject(error);
    }
  }

  private async sendMany(batch: PendingAppend[]): Promise<void> {
    // Stream order takes the locks in one order everywhere; the sort is stable, so appends to
    // one stream keep the order they came in.
    const ordered = [...batch].sort((a, b) => (a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : 0));
    const payload = JSON.stringify(
      ordered.map((pending) => ({ stream: pending.streamId, expected: describeExpected(pending.expected), events: plain(pending.events) })),
    );
    let rows: AppendRow[];
    try {
      rows = await this.db.query<AppendRow>(
        `SELECT item, status, next_expected_revision::text AS next, last_position::text AS position, actual_revision::text AS actual
           FROM append_events_batch($1::jsonb)`,
        [payload],
      );
    } catch {
      await Promise.all(ordered.map((pending) => this.sendOne(pending)));
      return;
    }
    for (const row of rows) this.settle(ordered[row.item!]!, row);
  }

  private settle(pending: PendingAppend, row: AppendRow | undefined): void {
    if (!row) return pending.reject(new Error(`append to ${pending.streamId} returned no result`));
    if (row.status === 'conflict') {
      return pending.reject(new WrongExpectedRevisionError(pending.streamId, pending.expected, row.actual === null ? 'no_stream' : BigInt(row.actual)));
    }
    pending.resolve({ nextExpectedRevision: BigInt(row.next!), position: BigInt(row.position!), ...(row.status === 'duplicate' ? { alreadyWritten: true } : {}) });
  }

  /**
   * An id of the append is already stored. With `any` or `stream_exists`, the same events
   * standing in this stream in the same order are a retry: answer with what they got then.
   */
  private async resolveReusedIds(pending: PendingAppend): Promise<void> {
    const ids = pending.events.map((event) => event.id);
    const found = await this.db.query<{ id: string; revision: string; position: string }>(
      'SELECT id::text AS id, revision::text AS revision, position::text AS position FROM events WHERE stream_id = $1 AND id = ANY($2::uuid[]) ORDER BY events.revision',
      [pending.streamId, ids],
    );
    const consecutive = found.every((row, i) => row.id === ids[i]!.toLowerCase() && (i === 0 || BigInt(row.revision) === BigInt(found[i - 1]!.revision) + 1n));
    const anywhere = pending.expected === 'any' || pending.expected === 'stream_exists';
    if (anywhere && found.length === ids.length && consecutive) {
      const last = found[found.length - 1]!;
      return pending.resolve({ nextExpectedRevision: BigInt(last.revision), position: BigInt(last.position), alreadyWritten: true });
    }
    if (found.length > 0) {
      // The ids stand in this stream, but not where the writer expected them.
      const [head] = await this.db.query<{ revision: string }>('SELECT max(revision)::text AS revision FROM events WHERE stream_id = $1', [pending.streamId]);
      return pending.reject(new WrongExpectedRevisionError(pending.streamId, pending.expected, BigInt(head!.revision)));
    }
    pending.reject(new InvalidAppendError(`an event id of this append to ${pending.streamId} is already used by another stream`));
  }
}

function plain(events: readonly EventToAppend[]): object[] {
  return events.map(({ id, type, data, metadata }) => ({ id, type, data, metadata }));
}

function serialise(events: readonly EventToAppend[]): string {
  return JSON.stringify(plain(events));
}
