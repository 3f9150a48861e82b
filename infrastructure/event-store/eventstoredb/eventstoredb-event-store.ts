import { BACKWARDS, END, EventStoreDBClient, NO_STREAM, WrongExpectedVersionError, jsonEvent } from '@eventstore/db-client';
import pRetry from 'p-retry';
import {
  InvalidAppendError,
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
} from '../../../application/event-store/event-store.ts';
import { validateAppend } from '../../../application/event-store/validate-append.ts';
import { chainHash, GENESIS_HASH } from '../../../application/event-store/event-chain.ts';
import { KeyedMutex } from '../../../application/shared/keyed-mutex.ts';
import { newestUserEventPosition, readAllInPages } from './all-log-pages.ts';
import { decideAppend } from './append-decision.ts';
import type { EventStoreDbClient } from './eventstoredb-client.ts';
import { HASH_KEY, readStreamRecords, toRecordedEvent } from './eventstoredb-records.ts';
import { CLAIM_STREAM_PREFIX, EventIdClaims } from './event-id-claims.ts';
import { DEFAULT_RESUBSCRIBE, ResubscribingAllSubscription, type ResubscribeOptions } from './resubscribing-all-subscription.ts';

export interface EventStoreDbOptions {
  /** Records asked for per read of `$all`; system records count against it. */
  readonly readPageSize?: number;
  /** How long an append keeps retrying races lost to other processes writing its stream. */
  readonly raceTimeoutMs?: number;
  readonly resubscribe?: Partial<ResubscribeOptions>;
}

const DEFAULT_READ_COUNT = 4096;

/** Another writer got in between this append's read of the stream and its write. */
class LostRace extends Error {}

/**
 * The event store of record in production: EventStoreDB (KurrentDB) over gRPC, 22.6 or later.
 * Global positions are the commit positions of `$all`; system records are hidden. Idempotency
 * by event id is the contract's (ADR 0016), kept with an id index of claim streams, because the
 * server's own check is partial.
 */
export class EventStoreDbEventStore implements EventStore {
  private readonly subscriptions = new Set<AllSubscription>();
  private readonly claims: EventIdClaims;
  /** Appends to one stream take turns in this process, so they lose no races to each other. */
  private readonly appending = new KeyedMutex();
  private readonly pageSize: number;

  constructor(
    private readonly client: EventStoreDbClient,
    private readonly options: EventStoreDbOptions = {},
  ) {
    this.claims = new EventIdClaims(client);
    this.pageSize = options.readPageSize ?? 1024;
    if (!Number.isInteger(this.pageSize) || this.pageSize < 1) throw new RangeError(`readPageSize must be a whole number from 1, not ${this.pageSize}`);
  }

  static connect(connectionString: string, options: EventStoreDbOptions = {}): EventStoreDbEventStore {
    return new EventStoreDbEventStore(EventStoreDBClient.connectionString(connectionString), options);
  }

  async append(streamId: string, events: readonly EventToAppend[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    validateAppend(streamId, events);
    if (streamId.startsWith(CLAIM_STREAM_PREFIX)) {
      throw new InvalidAppendError(`stream id "${streamId}" is reserved for the EventStoreDB adapter's index of event ids`);
    }
    const raceTimeoutMs = this.options.raceTimeoutMs ?? 30_000;
    return this.appending.run(streamId, () =>
      pRetry(() => this.appendOnce(streamId, events, expectedRevision), {
        retries: Number.POSITIVE_INFINITY,
        minTimeout: 1,
        maxTimeout: 100,
        randomize: true,
        maxRetryTime: raceTimeoutMs,
        shouldRetry: ({ error }) => error instanceof LostRace,
      }).catch((error: unknown) => {
        if (!(error instanceof LostRace)) throw error;
        // `any` and `stream_exists` never fail on concurrency, but a loop must end somewhere.
        throw new Error(`append to ${streamId}: lost every race to other writers of the stream for ${raceTimeoutMs} ms`);
      }),
    );
  }

  /**
   * One try: read the stream's last event and the ids' claims, decide as ADR 0016 says, and to
   * write, claim the ids, chain the events to the last one's hash (ADR 0011) and append against
   * exactly its revision, so no other writer slips in between.
   */
  private async appendOnce(streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
    const ids = events.map((event) => event.id.toLowerCase());
    const [last, claimStreams] = await Promise.all([this.lastEvent(streamId), this.claims.read(ids)]);
    const standing = await this.claims.standing(streamId, last?.revision, claimStreams);
    const actual = last?.revision ?? 'no_stream';
    const decision = decideAppend(expected, actual, standing);
    if (decision.kind === 'already_written') return { nextExpectedRevision: decision.revision, position: decision.position, alreadyWritten: true };
    if (decision.kind === 'conflict') throw new WrongExpectedRevisionError(streamId, expected, actual);
    if (decision.kind === 'refused') throw new InvalidAppendError(`an event id of this append to ${streamId} is already used by another stream`);

    if (!(await this.claims.claim(streamId, (last?.revision ?? -1n) + 1n, claimStreams))) throw new LostRace();
    let previous = last?.hash ?? GENESIS_HASH;
    const chained = events.map((event) => {
      previous = chainHash(previous, event);
      return jsonEvent({ id: event.id, type: event.type, data: event.data as never, metadata: { ...event.metadata, [HASH_KEY]: previous } as never });
    });
    try {
      const result = await this.client.appendToStream(streamId, chained, { expectedRevision: last ? last.revision : NO_STREAM });
      if (!result.position) throw new Error(`append to ${streamId} returned no position`);
      return { nextExpectedRevision: result.nextExpectedRevision, position: result.position.commit };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) throw new LostRace();
      throw error;
    }
  }

  /** The stream's last record, whatever its type: its revision is the one to append after. */
  private async lastEvent(streamId: string): Promise<{ revision: bigint; hash: string | undefined } | undefined> {
    const [record] = await readStreamRecords(this.client, streamId, { direction: 'backwards', maxCount: 1 });
    if (!record?.event) return undefined;
    const hash = (record.event.metadata as { [HASH_KEY]?: unknown } | undefined)?.[HASH_KEY];
    return { revision: record.event.revision, hash: typeof hash === 'string' ? hash : undefined };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const records = await readStreamRecords(this.client, streamId, options);
    return records.map(toRecordedEvent).filter((event): event is RecordedEvent => event !== undefined);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return readAllInPages(this.client, { after: options.after, maxCount: options.maxCount ?? DEFAULT_READ_COUNT, pageSize: this.pageSize });
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): AllSubscription {
    const subscription: AllSubscription = new ResubscribingAllSubscription(this.client, options.after, { ...DEFAULT_RESUBSCRIBE, ...this.options.resubscribe }, () =>
      this.subscriptions.delete(subscription),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<bigint> {
    return newestUserEventPosition(this.client, this.pageSize);
  }

  async ping(): Promise<boolean> {
    try {
      for await (const _ of this.client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 1n })) break;
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    await this.client.dispose();
  }
}
