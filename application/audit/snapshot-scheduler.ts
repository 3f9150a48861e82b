import type { RecordedEvent } from '../event-store/event-store.ts';

const ACCOUNT_STREAM_PREFIX = 'account-';

/**
 * Keeps account snapshots current in the background: told of committed events (by the
 * projector), it queues every account whose stream reached a snapshot boundary, and runs the
 * catch-ups one at a time so a burst never competes with the work that told it. Asked directly
 * (an answer that found snapshots missing), it queues that account too. Failures are reported
 * and forgotten: the next boundary, or the next request, tries again.
 */
export class SnapshotScheduler {
  private readonly queued = new Set<string>();
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly catchUp: (accountId: string) => Promise<number>,
    private readonly every: number,
    private readonly onError: (error: unknown, accountId: string) => void,
  ) {}

  /** Looks at events the caller has committed; never throws. */
  notice(events: readonly RecordedEvent[]): void {
    const size = BigInt(this.every);
    const due = new Set<string>();
    for (const event of events) {
      if (event.streamId.startsWith(ACCOUNT_STREAM_PREFIX) && (event.revision + 1n) % size === 0n) due.add(event.streamId.slice(ACCOUNT_STREAM_PREFIX.length));
    }
    // One catch-up per account, however many boundaries the batch crossed.
    for (const accountId of due) this.request(accountId);
  }

  request(accountId: string): void {
    if (this.stopped) return;
    this.queued.add(accountId);
    this.running ??= this.drain();
  }

  /** Resolves once nothing is queued or running. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Drops what is queued and waits for the catch-up under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queued.clear();
    await this.idle();
  }

  private async drain(): Promise<void> {
    try {
      for (let next = this.first(); next !== undefined; next = this.first()) {
        this.queued.delete(next);
        try {
          await this.catchUp(next);
        } catch (error) {
          this.onError(error, next);
        }
      }
    } finally {
      this.running = undefined;
    }
  }

  private first(): string | undefined {
    return this.queued.values().next().value;
  }
}
