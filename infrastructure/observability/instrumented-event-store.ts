import { Counter, Histogram, type Registry } from 'prom-client';
import {
  WrongExpectedRevisionError,
  type AllSubscription,
  type AppendResult,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeToAllOptions,
} from '../../application/event-store/event-store.ts';

/** Counts and times appends (and their conflicts) of any event store adapter. */
export class InstrumentedEventStore implements EventStore {
  private readonly appendSeconds: Histogram<'outcome'>;
  private readonly appendedEvents: Counter;

  constructor(private readonly inner: EventStore, registry: Registry) {
    this.appendSeconds = new Histogram({
      name: 'event_store_append_duration_seconds',
      help: 'Time to append to a stream, by outcome (ok, conflict, error)',
      labelNames: ['outcome'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    });
    this.appendedEvents = new Counter({ name: 'event_store_appended_events_total', help: 'Events appended', registers: [registry] });
  }

  async append(streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
    const stop = this.appendSeconds.startTimer();
    try {
      const result = await this.inner.append(streamId, events, expected);
      stop({ outcome: 'ok' });
      this.appendedEvents.inc(events.length);
      return result;
    } catch (error) {
      stop({ outcome: error instanceof WrongExpectedRevisionError ? 'conflict' : 'error' });
      throw error;
    }
  }

  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return this.inner.readStream(streamId, options);
  }

  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    return this.inner.readAll(options);
  }

  subscribeToAll(options?: SubscribeToAllOptions): AllSubscription {
    return this.inner.subscribeToAll(options);
  }

  headPosition(): Promise<bigint> {
    return this.inner.headPosition();
  }

  ping(): Promise<boolean> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
