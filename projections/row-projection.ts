import type { RecordedEvent } from '../application/event-store/event-store.ts';

export type Cell = string | number | boolean | null;
export type Row = Record<string, Cell>;

/**
 * A read model as a fold (Emmett): which row an event concerns, and a pure `evolve` from that
 * row (or none) to the next (or none, to delete it). A thin adapter stores the rows.
 */
export interface RowProjection<R extends Row = Row> {
  readonly name: string;
  readonly table: string;
  readonly keyColumns: readonly (keyof R & string)[];
  readonly columns: readonly (keyof R & string)[];
  /** Columns holding whole numbers (cents, shares, versions). */
  readonly integerColumns: readonly (keyof R & string)[];
  readonly handles: ReadonlySet<string>;
  /** The key of the row the event concerns. */
  keyOf(event: RecordedEvent): Partial<R>;
  evolve(row: R | null, event: RecordedEvent): R | null;
}

/** When the event happened, by the clock of the process that decided it. */
export function occurredAt(event: RecordedEvent): string {
  const stamped = event.metadata.occurredAt;
  return typeof stamped === 'string' ? stamped : event.recordedAt.toISOString();
}
