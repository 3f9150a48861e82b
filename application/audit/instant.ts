import type { RecordedEvent } from '../event-store/event-store.ts';
import { isQueryableTime, parsePosition } from '../shared/value-ranges.ts';

/**
 * A moment of the log's history an auditor asks about: a global position, or a time by the
 * event store's clock (each event's `recordedAt`).
 */
export type Instant = { readonly position: bigint } | { readonly time: Date };

/**
 * Which events an answer folds. Per stream, the events are taken in order up to the first one
 * past the cut: its position above `position`, or recorded after `time`. Positions grow along a
 * stream, and so do its recording times (appends to a stream are serialised and each reads the
 * clock after the previous one committed), so this is the stream's prefix as it stood then —
 * and stopping at the first event past the cut keeps it a prefix even if a clock stepped back.
 */
export interface Cut {
  /** Inclusive; never above the log's settled head, so the answer cannot change later. */
  readonly position: bigint;
  /** Inclusive, when the instant was a time. */
  readonly time?: Date;
}

export function withinCut(event: Pick<RecordedEvent, 'position' | 'recordedAt'>, cut: Cut): boolean {
  return event.position <= cut.position && (cut.time === undefined || event.recordedAt.getTime() <= cut.time.getTime());
}

/** The cut an instant means against a log whose settled head is `head`. */
export function cutAt(instant: Instant, head: bigint): Cut {
  if ('position' in instant) return { position: instant.position < head ? instant.position : head };
  return { position: head, time: instant.time };
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** `123456` (a position) or an ISO-8601 time with a zone; undefined for anything else. */
export function parseInstant(text: string): Instant | undefined {
  if (/^\d+$/.test(text)) {
    const position = parsePosition(text);
    return position === undefined ? undefined : { position };
  }
  if (!ISO_TIME.test(text)) return undefined;
  const time = new Date(text);
  return isQueryableTime(time.getTime()) ? { time } : undefined;
}

export function describeInstant(instant: Instant): string {
  return 'position' in instant ? `position ${instant.position}` : instant.time.toISOString();
}
