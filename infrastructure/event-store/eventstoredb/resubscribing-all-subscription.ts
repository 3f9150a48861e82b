import { setTimeout as sleep } from 'node:timers/promises';
import { START, excludeSystemEvents, type AllStreamSubscription } from '@eventstore/db-client';
import type { AllSubscription, RecordedEvent } from '../../../application/event-store/event-store.ts';
import type { EventStoreDbClient } from './eventstoredb-client.ts';
import { UnreadableEventError, toPosition, toRecordedEvent } from './eventstoredb-records.ts';

export interface ResubscribeOptions {
  /** Resubscriptions after drops in a row, none confirmed by the server, before the next drop ends it. */
  readonly attempts: number;
  /** Wait before the first resubscription; it doubles with each drop in a row, up to `maxDelayMs`. */
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  /** Told of each drop it will resubscribe after (the last one is thrown instead). */
  readonly onDropped?: (error: unknown, dropsInARow: number) => void;
}

export const DEFAULT_RESUBSCRIBE: ResubscribeOptions = { attempts: 8, minDelayMs: 100, maxDelayMs: 10_000 };

/** The server kept dropping the subscription; the subscriber should stop (its supervisor restarts it). */
export class SubscriptionDroppedError extends Error {
  constructor(dropsInARow: number, cause: unknown) {
    super(`the subscription to $all was dropped ${dropsInARow} times in a row: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'SubscriptionDroppedError';
  }
}

/**
 * A catch-up subscription to `$all` that survives the server dropping it (lost connection,
 * leader change, restart): it subscribes again after the last event it delivered, so the
 * consumer sees no gap and no repeat. Waits grow between drops in a row; a drop after the server
 * confirmed the new subscription starts the count again, so a long-lived subscription dropped
 * now and then never fails, while one the server keeps refusing fails after `attempts`.
 */
export class ResubscribingAllSubscription implements AllSubscription {
  private readonly stop = new AbortController();
  private current: AllStreamSubscription | undefined;

  constructor(
    private readonly client: EventStoreDbClient,
    private readonly after: bigint | undefined,
    private readonly options: ResubscribeOptions,
    private readonly onClosed: () => void,
  ) {}

  async *[Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    let position = this.after;
    let drops = 0;
    try {
      while (!this.stop.signal.aborted) {
        const subscription = this.client.subscribeToAll({
          fromPosition: position === undefined ? START : toPosition(position),
          filter: excludeSystemEvents(),
        });
        this.current = subscription;
        subscription.on('confirmation', () => (drops = 0));
        let cause: unknown = new Error('the server ended the subscription');
        try {
          for await (const resolved of subscription) {
            const event = toRecordedEvent(resolved);
            // The server starts after the position it is given; the check keeps that true across resubscriptions.
            if (!event || (position !== undefined && event.position <= position)) continue;
            position = event.position;
            drops = 0;
            yield event;
          }
        } catch (error) {
          if (error instanceof UnreadableEventError) throw error;
          cause = error;
        }
        if (this.stop.signal.aborted) return;
        drops += 1;
        if (drops > this.options.attempts) throw new SubscriptionDroppedError(drops, cause);
        this.options.onDropped?.(cause, drops);
        const delay = Math.min(this.options.maxDelayMs, this.options.minDelayMs * 2 ** (drops - 1));
        await sleep(delay, undefined, { signal: this.stop.signal }).catch(() => undefined);
      }
    } finally {
      await this.current?.unsubscribe();
    }
  }

  async close(): Promise<void> {
    this.stop.abort();
    this.onClosed();
    const current = this.current;
    await current?.unsubscribe();
    // Whether a cancelled call ends the client's stream is the transport's business; this ends it.
    current?.destroy();
  }
}
