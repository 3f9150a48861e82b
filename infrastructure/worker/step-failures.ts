/** How the worker treats an order whose steps keep failing. */
export interface StepFailurePolicy {
  /** Failures of one order's steps before it may be given up on. */
  readonly giveUpAfter: number;
  /** Wait before an order that failed is tried again: doubled per failure, up to `maxBackoffMs`. */
  readonly baseBackoffMs: number;
  readonly maxBackoffMs: number;
}

export const DEFAULT_STEP_FAILURE_POLICY: StepFailurePolicy = { giveUpAfter: 5, baseBackoffMs: 1_000, maxBackoffMs: 60_000 };

interface Failing {
  count: number;
  /** When this order's failures began, and when it may be tried again. */
  readonly since: number;
  retryAt: number;
}

/**
 * Which failing orders to leave alone for now, and which to give up on. Retries back off per
 * order, so one broken order cannot fill the log. An order is given up on only after repeated
 * failures while other orders' steps succeed: then the fault is the order's own, not an outage
 * of the database or the exchange, which must never fail the orders caught in it.
 */
export class StepFailures {
  private readonly failing = new Map<string, Failing>();
  private lastSuccessAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly policy: StepFailurePolicy = DEFAULT_STEP_FAILURE_POLICY,
    private readonly now: () => number = Date.now,
  ) {}

  succeeded(orderId: string): void {
    this.lastSuccessAt = this.now();
    this.failing.delete(orderId);
  }

  /** Counts a failure; true when the order should now be given up on. */
  failed(orderId: string): boolean {
    const now = this.now();
    const entry = this.failing.get(orderId) ?? { count: 0, since: now, retryAt: now };
    entry.count += 1;
    entry.retryAt = now + Math.min(this.policy.maxBackoffMs, this.policy.baseBackoffMs * 2 ** (entry.count - 1));
    this.failing.set(orderId, entry);
    return entry.count >= this.policy.giveUpAfter && this.lastSuccessAt > entry.since;
  }

  /** False while the order waits out its back-off. */
  due(orderId: string): boolean {
    const entry = this.failing.get(orderId);
    return !entry || this.now() >= entry.retryAt;
  }

  failures(orderId: string): number {
    return this.failing.get(orderId)?.count ?? 0;
  }

  forget(orderId: string): void {
    this.failing.delete(orderId);
  }
}
