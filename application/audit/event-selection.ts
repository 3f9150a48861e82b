import type { EventStore, RecordedEvent } from '../event-store/event-store.ts';

/** Which events a replay reads: one stream, one category or the whole log, narrowed by bounds and types. */
export interface EventSelection {
  readonly stream?: string;
  /** Every stream whose id starts with `<category>-` (`order` → `order-…`, `account` → `account-…`). */
  readonly category?: string;
  /** Inclusive bounds on the global position. */
  readonly fromPosition?: bigint;
  readonly toPosition?: bigint;
  /** Inclusive bounds on `recordedAt`, the store's clock. */
  readonly from?: Date;
  readonly to?: Date;
  /** Only these event types (all without it). */
  readonly types?: ReadonlySet<string>;
}

export interface SelectionProgress {
  /** Events read so far (before filtering). */
  readonly read: number;
  /** Where the reader is: a global position, or a stream revision for one stream. */
  readonly at: bigint;
}

export function matches(event: RecordedEvent, selection: EventSelection): boolean {
  if (selection.fromPosition !== undefined && event.position < selection.fromPosition) return false;
  if (selection.toPosition !== undefined && event.position > selection.toPosition) return false;
  if (selection.from && event.recordedAt.getTime() < selection.from.getTime()) return false;
  if (selection.to && event.recordedAt.getTime() > selection.to.getTime()) return false;
  if (selection.types && !selection.types.has(event.type)) return false;
  if (selection.category !== undefined && !event.streamId.startsWith(`${selection.category}-`)) return false;
  return true;
}

/**
 * The selected events in order (a stream's by revision, the log's by position), read page by
 * page so any length of history streams through in constant memory.
 */
export async function* selectEvents(
  store: EventStore,
  selection: EventSelection,
  options: { pageSize?: number; onPage?: (progress: SelectionProgress) => void } = {},
): AsyncGenerator<RecordedEvent> {
  const pageSize = options.pageSize ?? 2_000;
  let read = 0;
  if (selection.stream !== undefined) {
    for (let from = 0n; ; ) {
      const page = await store.readStream(selection.stream, { fromRevision: from, maxCount: pageSize });
      read += page.length;
      if (page.length > 0) options.onPage?.({ read, at: page[page.length - 1]!.revision });
      for (const event of page) {
        // Positions grow along a stream: nothing after this can be within the bound.
        if (selection.toPosition !== undefined && event.position > selection.toPosition) return;
        if (matches(event, selection)) yield event;
      }
      if (page.length < pageSize) return;
      from = page[page.length - 1]!.revision + 1n;
    }
  }
  let after = selection.fromPosition !== undefined ? selection.fromPosition - 1n : -1n;
  for (;;) {
    const page = await store.readAll({ after, maxCount: pageSize });
    if (page.length === 0) return;
    read += page.length;
    after = page[page.length - 1]!.position;
    options.onPage?.({ read, at: after });
    for (const event of page) {
      if (selection.toPosition !== undefined && event.position > selection.toPosition) return;
      if (matches(event, selection)) yield event;
    }
  }
}
