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
 * The one command handler: load the stream (from a cached state plus newer events), decide,
 * append with the expected revision, and on a conflict start again from fresh state. Event ids
 * derive from `stepKey`, so re-running a step after a crash or a lost reply appends nothing new.
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
    const cached = this.cache.get(streamId) as StreamState<State> | undefined;
    const from: StreamState<State> = cached ?? { state: decider.initialState, revision: -1n, position: undefined, createdAt: undefined, updatedAt: undefined };
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
    return this.mutex.run(streamId, async () => {
      for (let attempt = 1; ; attempt += 1) {
        const current = await this.load(decider as Decider<unknown, Event, State>, streamId);
        const decided = decider.decide(command, current.state);
        if (decided.length === 0) return { ...current, appended: [] };
        const metadata = { correlationId: context.correlationId, causationId: context.causationId, principal: context.principal, occurredAt: context.occurredAt };
        try {
          const result = await this.store.append(
            streamId,
            decided.map((event, index) => ({ id: deterministicId(`${stepKey}/${index}`), type: event.type, data: event.data, metadata })),
            current.revision < 0n ? 'no_stream' : current.revision,
          );
          const next: StreamState<State> = {
            state: decided.reduce(decider.evolve, current.state),
            revision: result.nextExpectedRevision,
            position: result.position,
            createdAt: current.createdAt ?? context.occurredAt,
            updatedAt: context.occurredAt,
          };
          this.remember(streamId, next);
          // A concurrent twin (another process running the same step) wrote these very events.
          if (result.alreadyWritten) return { ...(await this.load(decider as Decider<unknown, Event, State>, streamId)), appended: [] };
          return { ...next, appended: decided };
        } catch (error) {
          if (!(error instanceof WrongExpectedRevisionError)) throw error;
          if (attempt >= this.maxAttempts) throw new ConcurrencyExhaustedError(streamId, attempt);
          // Full jitter, growing to ~128 ms: a writer that keeps losing to a busy twin gets through.
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 ** Math.min(attempt, 7)));
        }
      }
    });
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
