/** How long to wait between reconnection attempts. */
export interface BackoffOptions {
  /** The ceiling of the first attempt's delay. */
  readonly initialMs: number;
  /** The ceiling never grows past this. */
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 30_000 };

/**
 * Exponential backoff with full jitter: a delay drawn uniformly from [0, min(max, initial × 2^attempt)),
 * attempt counted from 0. Spreading the whole range (not just a ±x% band) keeps thousands of
 * clients dropped by one fan-out instance from coming back in step.
 */
export function fullJitterDelay(attempt: number, options: BackoffOptions, random: () => number): number {
  // 2^1024 is Infinity, and 0 × Infinity is NaN: past 2^52 the ceiling is max anyway.
  const ceiling = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(Math.max(0, attempt), 52));
  return Math.floor(random() * ceiling);
}

/** Counts attempts since the last reset and hands out their delays. */
export class ExponentialBackoff {
  private attempts = 0;

  constructor(
    private readonly options: BackoffOptions,
    private readonly random: () => number,
  ) {
    if (!(options.initialMs >= 0) || !(options.maxMs >= options.initialMs)) {
      throw new RangeError(`backoff needs 0 <= initialMs <= maxMs (got ${options.initialMs} and ${options.maxMs})`);
    }
  }

  /** The next attempt: its number (from 1) and how long to wait before it. */
  next(): { attempt: number; delayMs: number } {
    const delayMs = fullJitterDelay(this.attempts, this.options, this.random);
    this.attempts += 1;
    return { attempt: this.attempts, delayMs };
  }

  /** A connection stayed up: the next failure starts from the first delay again. */
  reset(): void {
    this.attempts = 0;
  }
}
