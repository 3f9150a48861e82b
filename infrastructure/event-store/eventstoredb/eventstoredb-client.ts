import type {
  AllStreamResolvedEvent,
  AllStreamSubscription,
  AppendResult,
  AppendToStreamOptions,
  EventData,
  ReadAllOptions,
  ReadStreamOptions,
  ResolvedEvent,
  StreamingRead,
  SubscribeToAllOptions,
} from '@eventstore/db-client';

/**
 * The part of `EventStoreDBClient` the adapter uses, in the client's own types. The adapter
 * depends on this rather than on the class, so its paging, retry and resubscription logic can be
 * driven in unit tests by a fake that speaks the same types.
 */
export interface EventStoreDbClient {
  appendToStream(streamName: string, events: EventData[], options: AppendToStreamOptions): Promise<AppendResult>;
  readStream(streamName: string, options: ReadStreamOptions): StreamingRead<ResolvedEvent>;
  readAll(options: ReadAllOptions): StreamingRead<AllStreamResolvedEvent>;
  subscribeToAll(options: SubscribeToAllOptions): AllStreamSubscription;
  dispose(): Promise<void>;
}
