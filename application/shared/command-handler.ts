import type { Decider } from '../../domain/shared/decider.ts';
import { WrongExpectedRevisionError, type EventStore, type RecordedEvent } from '../event-store/event-store.ts';
import type { CommandContext } from './command-context.ts';
import { deterministicId } from './deterministic-ids.ts';
import { KeyedMutex } from './keyed-mutex.ts';

export interface DomainMessage {
  readonly type: string;
  readonly data: unknown;
}

/** A stream's state as of its last event. */
export interface StreamState<State> {
  readonly state: State;
  /** Revision of the last event, or -1n for a stream with none. */
  readonly revision: bigint;
  /** Global position of the last event, or undefined for a stream with none. */
  readonly position: bigint | undefined;
  /** `occurredAt` of the first and of the last event (ISO), or undefined for an empty stream. */
  readonly createdAt: string | undefined;
  readonly updatedAt: string | undefined;
}

export interface CommandOutcome<State, Event> extends StreamState<State> {
  /** The events this command appended; empty when it had already been applied. */
  readonly appended: readonly Event[];
}

export interface CommandHandlerOptions {
  /** Attempts on optimistic-concurrency conflicts before giving up. */
  readonly maxAttempts?: number;
  /** Streams whose state is kept in memory between commands. */
  readonly cachedStreams?: number;
}

export class ConcurrencyExhaustedError extends Error {
  constructor(streamId: string, attempts: number) {
    super(`stream ${streamId} kept changing under ${attempts} attempts`);
    this.name = 'ConcurrencyExhaustedError';
  }
}

/**
 * The one command handler: decide on the stream's state, append with the expected revision, and
 * on a conflict start again from fresh state. Event ids derive from `stepKey`, so re-running a
 * step after a crash or a lost reply appends nothing new. `load` reads the stream's newer events
 * onto a cached state; `handle` first tries without reading (see there).
 */
export class CommandHandler {
  private readonly mutex = new KeyedMutex();
  private readonly cache = new Map<string, StreamState<unknown>>();
  private readonly maxAttempts: number;
  private readonly cachedStreams: number;

  constructor(
    private readonly store: EventStore,
    options: CommandHandlerOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 30;
    this.cachedStreams = options.cachedStreams ?? 10_000;
  }

  async load<State, Event extends DomainMessage>(decider: Decider<unknown, Event, State>, streamId: string): Promise<StreamState<State>> {
    const from = this.lastKnown(decider, streamId);
    const newer = await this.store.readStream(streamId, { fromRevision: from.revision + 1n });
    const loaded = newer.reduce((current, event) => applyRecorded(decider, current, event), from);
    if (newer.length > 0) this.remember(streamId, loaded);
    return loaded;
  }

  async handle<Command, Event extends DomainMessage, State>(
    decider: Decider<Command, Event, State>,
    streamId: string,
    command: Command,
    context: CommandContext,
    stepKey: string,
  ): Promise<CommandOutcome<State, Event>> {
    const untypedDecider = decider as Decider<unknown, Event, State>;
    return this.mutex.run(streamId, async () => {
      // The first attempt decides on what this process last knew of the stream (its cached state,
      // or no stream at all) without reading it: the append's expected revision proves that
      // state current, and saves a round trip on every command to a stream this process wrote
      // last or creates. Whatever that state cannot prove — a conflict, a refusal, nothing to do,
      // events already written — is decided again on the stream as read.
      let verified = false;
      for (let attempt = 1; ; attempt += 1) {
        const current = verified ? await this.load(untypedDecider, streamId) : this.lastKnown(untypedDecider, streamId);
        let decided: Event[];
        try {
          decided = decider.decide(command, current.state);
        } catch (error) {
          if (verified) throw error;
          verified = true;
          continue;
        }
        if (decided.length === 0) {
          if (verified) return { ...current, appended: [] };
          verified = true;
          continue;
        }
        const metadata = { correlationId: context.correlationId, causationId: context.causationId, principal: context.principal, occurredAt: context.occurredAt };
        try {
          const result = await this.store.append(
            streamId,
            decided.map((event, index) => ({ id: deterministicId(`${stepKey}/${index}`), type: event.type, data: event.data, metadata })),
            current.revision < 0n ? 'no_stream' : current.revision,
          );
          if (result.alreadyWritten) {
            // A retry, or a concurrent twin (another process running the same step), wrote these
            // very ids; the command is judged again on the stream as it stands (the same request
            // with another payload is refused there).
            if (verified) return { ...(await this.load(untypedDecider, streamId)), appended: [] };
            verified = true;
            continue;
          }
          const next: StreamState<State> = {
            state: decided.reduce(decider.evolve, current.state),
            revision: result.nextExpectedRevision,
            position: result.position,
            createdAt: current.createdAt ?? context.occurredAt,
            updatedAt: context.occurredAt,
          };
          this.remember(streamId, next);
          return { ...next, appended: decided };
        } catch (error) {
          if (!(error instanceof WrongExpectedRevisionError)) throw error;
          if (!verified) {
            // What this process knew was out of date: read the stream and decide again at once.
            verified = true;
            continue;
          }
          if (attempt >= this.maxAttempts) throw new ConcurrencyExhaustedError(streamId, attempt);
          // Full jitter, growing to ~128 ms: a writer that keeps losing to a busy twin gets through.
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 ** Math.min(attempt, 7)));
        }
      }
    });
  }

  /** The cached state of a stream, or that of a stream with no event; no read. */
  private lastKnown<State>(decider: Decider<unknown, DomainMessage, State>, streamId: string): StreamState<State> {
    return (this.cache.get(streamId) as StreamState<State> | undefined) ?? { state: decider.initialState, revision: -1n, position: undefined, createdAt: undefined, updatedAt: undefined };
  }

  private remember(streamId: string, state: StreamState<unknown>): void {
    this.cache.delete(streamId);
    this.cache.set(streamId, state);
    if (this.cache.size > this.cachedStreams) this.cache.delete(this.cache.keys().next().value as string);
  }
}

function applyRecorded<State, Event extends DomainMessage>(decider: Decider<unknown, Event, State>, current: StreamState<State>, event: RecordedEvent): StreamState<State> {
  const occurredAt = typeof event.metadata.occurredAt === 'string' ? event.metadata.occurredAt : event.recordedAt.toISOString();
  return {
    state: decider.evolve(current.state, { type: event.type, data: event.data } as Event),
    revision: event.revision,
    position: event.position,
    createdAt: current.createdAt ?? occurredAt,
    updatedAt: occurredAt,
  };
}

/** The later of two global positions (a request's read-your-writes token covers all it wrote). */
export function laterPosition(a: bigint | undefined, b: bigint | undefined): bigint | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a > b ? a : b;
}
