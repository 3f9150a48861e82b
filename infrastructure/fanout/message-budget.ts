/** What one client message may do under its connection's budget. */
export interface BudgetVerdict {
  /** The message may be handled. */
  readonly allowed: boolean;
  /** The budget just ran out: tell the client, once. */
  readonly tell: boolean;
  /** The client kept sending long past the budget: close the connection. */
  readonly close: boolean;
}

const ALLOWED: BudgetVerdict = { allowed: true, tell: false, close: false };

/**
 * A connection's message budget, a token bucket: `perSecond` messages a second, bursts of twice
 * that. Every stream protocol of the fan-out (ours and Alpaca's) shares it.
 */
export class MessageBudget {
  private allowance: number;
  private lastAt: number;
  /** The budget ran out and the client was told; reset by the next message it may send. */
  private limited = false;

  constructor(
    private readonly perSecond: number,
    now: number,
  ) {
    this.allowance = perSecond * 2;
    this.lastAt = now;
  }

  take(now: number): BudgetVerdict {
    const rate = this.perSecond;
    this.allowance = Math.min(rate * 2, this.allowance + ((now - this.lastAt) / 1000) * rate);
    this.lastAt = now;
    if (this.allowance >= 1) {
      this.allowance -= 1;
      this.limited = false;
      return ALLOWED;
    }
    const tell = !this.limited;
    this.limited = true;
    this.allowance -= 1;
    return { allowed: false, tell, close: this.allowance < -rate };
  }
}
