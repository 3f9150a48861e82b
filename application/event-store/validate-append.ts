import { InvalidAppendError, MAX_EVENTS_PER_APPEND, type EventToAppend } from './event-store.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The checks every adapter makes before it writes, so that all of them refuse the same input. */
export function validateAppend(streamId: string, events: readonly EventToAppend[]): void {
  if (streamId.length === 0 || streamId.startsWith('$')) {
    throw new InvalidAppendError(`stream id "${streamId}" is empty or reserved`);
  }
  if (events.length === 0) throw new InvalidAppendError('an append needs at least one event');
  if (events.length > MAX_EVENTS_PER_APPEND) {
    throw new InvalidAppendError(`an append carries at most ${MAX_EVENTS_PER_APPEND} events`);
  }
  const ids = new Set<string>();
  for (const event of events) {
    if (!UUID.test(event.id)) throw new InvalidAppendError(`event id "${event.id}" is not a UUID`);
    if (ids.has(event.id.toLowerCase())) throw new InvalidAppendError(`event id ${event.id} appears twice`);
    ids.add(event.id.toLowerCase());
    if (event.type.length === 0 || event.type.startsWith('$')) {
      throw new InvalidAppendError(`event type "${event.type}" is empty or reserved`);
    }
    const { correlationId, causationId, principal } = event.metadata;
    for (const [name, value] of Object.entries({ correlationId, causationId, principal })) {
      if (typeof value !== 'string' || value.length === 0) {
        throw new InvalidAppendError(`event ${event.id}: metadata.${name} is required`);
      }
    }
    if ('recordedAt' in event.metadata) {
      throw new InvalidAppendError(`event ${event.id}: metadata.recordedAt is stamped by the store`);
    }
  }
}
