import type { AllSubscription, RecordedEvent } from '../../../application/event-store/event-store.ts';
import type { LogWakeups } from '../log-wakeups.ts';

/**
 * The log handed out an event at or before a position already delivered. ADR 0002 rules this
 * out; should it ever happen, the subscriber stops loudly instead of applying an event twice.
 */
export class EventLogOrderError extends Error {
  constructor(delivered: bigint, event: RecordedEvent) {
    super(`event log went backwards: event ${event.id} at position ${event.position} after position ${delivered} was delivered`);
    this.name = 'EventLogOrderError';
  }
}

export interface PollingOptions {
  /** Events read per query. */
  readonly batchSize: number;
  /** Longest wait for a wake-up when the log is quiet. */
  readonly idlePollMs: number;
  /** Wait before looking again when committed events sit behind a running transaction. */
  readonly settlingPollMs: number;
  /** Longest back-off after a failed read. */
  readonly maxRetryDelayMs: number;
  readonly onReadError?: (error: unknown) => void;
}

const DEFAULTS: PollingOptions = { batchSize: 512, idlePollMs: 500, settlingPollMs: 5, maxRetryDelayMs: 5_000 };

interface SettlingLogReader {
  readAll(options: { after?: bigint; maxCount?: number }): Promise<RecordedEvent[]>;
  hasUnsettledEventsAfter(position: bigint): Promise<boolean>;
}

/**
 * Catch-up subscription over a SQL event log: reads the settled part of the log after its
 * position, yields each event once the consumer asks for the next, and sleeps until a wake-up
 * or a poll when there is nothing new. Read failures are retried with back-off, from the same
 * position, so the consumer sees neither a gap nor a repeat.
 */
export class PollingAllSubscription implements AllSubscription {
  private readonly options: PollingOptions;
  private readonly stop = new AbortController();
  private position: bigint;

  constructor(
    private readonly log: SettlingLogReader,
    private readonly wakeups: LogWakeups,
    after: bigint | undefined,
    options: Partial<PollingOptions> | undefined,
    private readonly onClosed: () => void,
  ) {
    this.position = after ?? -1n;
    this.options = { ...DEFAULTS, ...options };
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    let failures = 0;
    while (!this.stop.signal.aborted) {
      let batch: RecordedEvent[];
      let settling = false;
      try {
        batch = await this.log.readAll({ after: this.position, maxCount: this.options.batchSize });
        if (batch.length === 0) settling = await this.log.hasUnsettledEventsAfter(this.position);
        failures = 0;
      } catch (error) {
        if (this.stop.signal.aborted) return;
        this.options.onReadError?.(error);
        failures += 1;
        await this.wakeups.wait(Math.min(this.options.maxRetryDelayMs, 50 * 2 ** failures), this.stop.signal);
        continue;
      }
      for (const event of batch) {
        if (this.stop.signal.aborted) return;
        if (event.position <= this.position) throw new EventLogOrderError(this.position, event);
        this.position = event.position;
        yield event;
      }
      if (batch.length === this.options.batchSize) continue;
      if (batch.length === 0) {
        await this.wakeups.wait(settling ? this.options.settlingPollMs : this.options.idlePollMs, this.stop.signal);
      }
    }
  }

  async close(): Promise<void> {
    this.stop.abort();
    this.onClosed();
  }
}
