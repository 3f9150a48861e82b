/**
 * The event store port. Its semantics are EventStoreDB's (design.md, "The event store port"):
 * streams with optimistic concurrency, idempotent re-append by event id, and one global log
 * (`$all`) with a single total order that a catch-up subscription follows from a checkpoint.
 *
 * Positions are opaque, strictly increasing bigints along `$all`; they are not dense.
 */

/** What the writer expects the stream's last revision to be. */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | bigint;

/** Every event carries who caused it and why; `recordedAt` is stamped by the store. */
export interface EventMetadata {
  /** Id shared by every event caused by one request or workflow. */
  readonly correlationId: string;
  /** Id of the command or event that directly caused this one. */
  readonly causationId: string;
  /** Who acted: `account:<id>`, `admin:<id>`, `system:<process>`. */
  readonly principal: string;
  readonly [extra: string]: unknown;
}

export interface EventToAppend<Type extends string = string, Data = unknown> {
  /** UUID. Deterministic ids make a retried append idempotent. */
  readonly id: string;
  readonly type: Type;
  readonly data: Data;
  readonly metadata: EventMetadata;
}

export interface RecordedEvent<Type extends string = string, Data = unknown> {
  readonly streamId: string;
  /** Zero-based index of the event in its stream. */
  readonly revision: bigint;
  /** Place in the global log. */
  readonly position: bigint;
  readonly id: string;
  readonly type: Type;
  readonly data: Data;
  readonly metadata: EventMetadata;
  readonly recordedAt: Date;
  /**
   * Tamper evidence: sha256 of the canonical JSON of type, data, metadata and the hash of the
   * stream's previous event (application/event-store/event-chain.ts), set by the store at append.
   */
  readonly hash: string;
}

export interface AppendResult {
  /** Revision of the last event now in the stream: pass it as the next expected revision. */
  readonly nextExpectedRevision: bigint;
  /** Global position of the last event appended (or found, on an idempotent re-append). */
  readonly position: bigint;
  /**
   * True when the store recognised the events as written before and wrote nothing. Adapters
   * that cannot tell (EventStoreDB answers both alike) leave it out.
   */
  readonly alreadyWritten?: boolean;
}

export interface ReadStreamOptions {
  readonly direction?: 'forwards' | 'backwards';
  /** Inclusive start revision; defaults to the first (forwards) or last (backwards) event. */
  readonly fromRevision?: bigint;
  readonly maxCount?: number;
}

export interface ReadAllOptions {
  /** Exclusive: only events whose position is greater. Omit to read from the beginning. */
  readonly after?: bigint;
  readonly maxCount?: number;
}

export interface SubscribeToAllOptions {
  /** Checkpoint: the position of the last event the subscriber has fully handled. */
  readonly after?: bigint;
}

/**
 * A catch-up subscription: every event after the checkpoint, in global order, then live ones.
 * Delivery is at-least-once: a subscriber that stores its checkpoint with its side effects and
 * resubscribes from it sees no gap and no reordering.
 */
export interface AllSubscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>;
}

export interface EventStore {
  append(streamId: string, events: readonly EventToAppend[], expectedRevision: ExpectedRevision): Promise<AppendResult>;
  /** The stream's events; an empty list when the stream does not exist. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  subscribeToAll(options?: SubscribeToAllOptions): AllSubscription;
  /** Position of the newest event a reader of `$all` can see now (0n when the log is empty). */
  headPosition(): Promise<bigint>;
  /** True when the store answers; used by readiness checks. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export class WrongExpectedRevisionError extends Error {
  readonly code = 'wrong_expected_revision';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** The stream's last revision, or 'no_stream'. */
    readonly actual: bigint | 'no_stream',
  ) {
    super(`stream ${streamId}: expected revision ${String(expected)}, actual ${String(actual)}`);
    this.name = 'WrongExpectedRevisionError';
  }
}

export class InvalidAppendError extends Error {
  readonly code = 'invalid_append';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidAppendError';
  }
}

/** The largest number of events one append may carry (the global position reserves 16 bits). */
export const MAX_EVENTS_PER_APPEND = 65_536;

export function describeExpected(expected: ExpectedRevision): string {
  return typeof expected === 'bigint' ? expected.toString() : expected;
}
