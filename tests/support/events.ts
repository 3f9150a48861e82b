import { randomUUID } from 'node:crypto';
import type { EventToAppend, RecordedEvent } from '../../application/event-store/event-store.ts';

export function anEvent(type = 'SomethingHappened', data: Record<string, unknown> = {}): EventToAppend {
  return {
    id: randomUUID(),
    type,
    data: { ...data },
    metadata: { correlationId: randomUUID(), causationId: randomUUID(), principal: 'system:test' },
  };
}

export function events(count: number, type = 'SomethingHappened'): EventToAppend[] {
  return Array.from({ length: count }, (_, index) => anEvent(type, { index }));
}

export function uniqueStream(category = 'test'): string {
  return `${category}-${randomUUID()}`;
}

/** Reads `count` items from an iterator, or fails after `timeoutMs`. */
export async function take<T>(iterator: AsyncIterator<T>, count: number, timeoutMs = 10_000): Promise<T[]> {
  const taken: T[] = [];
  if (count === 0) return taken;
  const deadline = Date.now() + timeoutMs;
  while (taken.length < count) {
    const remaining = deadline - Date.now();
    const next = await Promise.race([
      iterator.next(),
      new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), Math.max(remaining, 0))),
    ]);
    if (next === 'timeout') throw new Error(`took ${taken.length} of ${count} items before ${timeoutMs} ms passed`);
    if (next.done) break;
    taken.push(next.value);
  }
  return taken;
}

export function idsOf(recorded: readonly RecordedEvent[]): string[] {
  return recorded.map((event) => event.id);
}

export interface Collector<T> {
  /** Everything delivered so far, in delivery order. */
  readonly items: T[];
  /** Resolves once `count` items arrived; fails after `timeoutMs`. */
  until(count: number, timeoutMs?: number): Promise<T[]>;
  /** Stops consuming and waits for the consumer to finish. */
  stop(): Promise<void>;
}

/** Consumes a subscription in the background, so no delivered item is ever dropped by a timeout. */
export function collect<T>(source: AsyncIterable<T> & { close(): Promise<void> }): Collector<T> {
  const items: T[] = [];
  let failure: unknown;
  const consuming = (async () => {
    try {
      for await (const item of source) items.push(item);
    } catch (error) {
      failure = error;
    }
  })();
  return {
    items,
    async until(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (items.length < count) {
        if (failure) throw failure;
        if (Date.now() > deadline) throw new Error(`received ${items.length} of ${count} items within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return items.slice(0, count);
    },
    async stop() {
      await source.close();
      await consuming;
      if (failure) throw failure;
    },
  };
}
