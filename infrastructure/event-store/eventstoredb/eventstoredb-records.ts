import {
  BACKWARDS,
  END,
  FORWARDS,
  START,
  StreamNotFoundError,
  type AllStreamResolvedEvent,
  type Position,
  type ResolvedEvent,
} from '@eventstore/db-client';
import type { EventMetadata, ReadStreamOptions, RecordedEvent } from '../../../application/event-store/event-store.ts';
import type { EventStoreDbClient } from './eventstoredb-client.ts';

/** Where an event's chain hash lives in EventStoreDB: a metadata key the application never uses. */
export const HASH_KEY = '$hash';

/** From 2^63 up a position is the server's "none" (-1 sent unsigned), as on stream reads before 22.6. */
const NO_POSITION = 2n ** 63n;

/** The server sent an event this store cannot place in its log; no retry will change that. */
export class UnreadableEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnreadableEventError';
  }
}

/**
 * Where a read or subscription of `$all` starts for a position this store handed out. Every
 * event the server writes for an append is its own committed record, so its commit and prepare
 * positions are one number (checked in `toRecordedEvent`).
 */
export function toPosition(position: bigint): Position {
  return { commit: position, prepare: position };
}

/** The position of any record of `$all`, system records included. */
export function positionOf(resolved: AllStreamResolvedEvent): bigint {
  const position = resolved.event?.position.commit ?? resolved.commitPosition;
  if (position === undefined) throw new UnreadableEventError('a record of $all came without a position');
  return position;
}

/**
 * The store's view of a record: undefined for what the port hides (system streams and types,
 * which include the event id index's claims, and non-JSON events). An event whose position is
 * missing or shared with others is an error, never skipped: a reader must not lose it silently.
 */
export function toRecordedEvent(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent | undefined {
  const event = resolved.event;
  if (!event || event.type.startsWith('$') || event.streamId.startsWith('$') || !event.isJson) return undefined;
  const position = event.position;
  if (!position || position.commit >= NO_POSITION) {
    throw new UnreadableEventError(
      `EventStoreDB sent event ${event.id} of ${event.streamId} without its log position: stream reads carry ` +
        'positions from EventStoreDB 22.6 on, and this store needs them (connect it to 22.6 or later)',
    );
  }
  if (position.prepare !== position.commit) {
    throw new UnreadableEventError(
      `event ${event.id} of ${event.streamId} was written in an explicit transaction (commit position ${position.commit}, ` +
        `prepare ${position.prepare}): this store gives every event a position of its own and cannot place it`,
    );
  }
  const { [HASH_KEY]: hash, ...withoutHash } = event.metadata as unknown as EventMetadata & { [HASH_KEY]?: unknown };
  return {
    streamId: event.streamId,
    revision: event.revision,
    position: position.commit,
    id: event.id,
    type: event.type,
    data: event.data,
    metadata: withoutHash,
    recordedAt: event.created,
    hash: typeof hash === 'string' ? hash : '',
  };
}

/** A stream's records as the server sends them, system ones included; none when it does not exist. */
export async function readStreamRecords(client: EventStoreDbClient, streamId: string, options: ReadStreamOptions = {}): Promise<ResolvedEvent[]> {
  const backwards = options.direction === 'backwards';
  const records: ResolvedEvent[] = [];
  try {
    const read = client.readStream(streamId, {
      direction: backwards ? BACKWARDS : FORWARDS,
      fromRevision: options.fromRevision ?? (backwards ? END : START),
      ...(options.maxCount === undefined ? {} : { maxCount: BigInt(options.maxCount) }),
    });
    for await (const resolved of read) records.push(resolved);
  } catch (error) {
    if (error instanceof StreamNotFoundError) return [];
    throw error;
  }
  return records;
}
