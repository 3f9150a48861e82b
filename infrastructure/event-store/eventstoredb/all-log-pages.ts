import { BACKWARDS, END, FORWARDS, START, type AllStreamResolvedEvent, type Direction } from '@eventstore/db-client';
import type { RecordedEvent } from '../../../application/event-store/event-store.ts';
import type { EventStoreDbClient } from './eventstoredb-client.ts';
import { positionOf, toPosition, toRecordedEvent } from './eventstoredb-records.ts';

/**
 * Every record of `$all` strictly after (forwards) or before (backwards) `from`, read `pageSize`
 * at a time. The server counts system records against a read's `maxCount`, so a reader that wants
 * N user events cannot ask for N; and a forward read from a position includes the record there,
 * so each page but the first asks for one more and skips what it has already passed.
 */
async function* recordsOfAll(
  client: EventStoreDbClient,
  direction: Direction,
  from: bigint | undefined,
  pageSize: number,
): AsyncGenerator<AllStreamResolvedEvent> {
  let cursor = from;
  for (;;) {
    const count = pageSize + (cursor === undefined ? 0 : 1);
    const read = client.readAll({
      direction,
      maxCount: BigInt(count),
      fromPosition: cursor === undefined ? (direction === FORWARDS ? START : END) : toPosition(cursor),
    });
    let seen = 0;
    let drained = false;
    try {
      for await (const resolved of read) {
        seen += 1;
        const position = positionOf(resolved);
        if (cursor !== undefined && (direction === FORWARDS ? position <= cursor : position >= cursor)) continue;
        cursor = position;
        yield resolved;
      }
      drained = true;
    } finally {
      if (!drained) await read.cancel();
    }
    if (seen < count) return;
  }
}

/** Up to `maxCount` user events after `after` (exclusive), in log order. */
export async function readAllInPages(
  client: EventStoreDbClient,
  options: { readonly after: bigint | undefined; readonly maxCount: number; readonly pageSize: number },
): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  if (options.maxCount <= 0) return events;
  // Positions of this store are never negative; the SQL stores' "before everything" is -1.
  const after = options.after !== undefined && options.after >= 0n ? options.after : undefined;
  for await (const resolved of recordsOfAll(client, FORWARDS, after, options.pageSize)) {
    const event = toRecordedEvent(resolved);
    if (!event) continue;
    events.push(event);
    if (events.length === options.maxCount) break;
  }
  return events;
}

/** The position of the newest user event, however many system records come after it; 0 if none. */
export async function newestUserEventPosition(client: EventStoreDbClient, pageSize: number): Promise<bigint> {
  for await (const resolved of recordsOfAll(client, BACKWARDS, undefined, pageSize)) {
    const event = toRecordedEvent(resolved);
    if (event) return event.position;
  }
  return 0n;
}
