/**
 * Runs `work` every `everyMs`, one run at a time: a run asked for while another is in flight
 * starts when it ends. `work` handles its own errors (a rejected run would end the chain).
 * The timer does not keep the process alive.
 */
export class PeriodicJob<T> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly work: () => Promise<T>,
    private readonly everyMs: number,
  ) {}

  /** Starts the timer; with `immediately`, the first run starts now rather than after `everyMs`. */
  start(options: { immediately?: boolean } = {}): void {
    if (options.immediately) void this.runNow();
    this.timer = setInterval(() => void this.runNow(), this.everyMs);
    this.timer.unref();
  }

  /** Runs once (after any run in flight); resolves with what the run returned. */
  runNow(): Promise<T> {
    const run = this.running.then(() => this.work());
    this.running = run;
    return run;
  }

  /** Stops the timer and waits for the run in flight. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
