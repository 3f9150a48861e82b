/**
 * Wakes subscribers of the global log when it may have grown, so they read at once instead of
 * at their next poll. A missed wake-up only costs latency: subscribers also poll.
 */
export interface LogWakeups {
  /** Resolves at the next wake-up, after `timeoutMs`, or when `signal` aborts. */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<void>;
  /** Called after an append committed. */
  appended(): void;
  close(): Promise<void>;
}

/** Wake-ups within one process: enough where every writer shares the process (PGlite). */
export class InProcessLogWakeups implements LogWakeups {
  private waiters = new Set<() => void>();

  wait(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener('abort', done, { once: true });
      this.waiters.add(done);
    });
  }

  appended(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }

  async close(): Promise<void> {
    this.appended();
  }
}
