/** Who is acting, why, and when: stamped on every event a command causes. */
export interface CommandContext {
  readonly correlationId: string;
  readonly causationId: string;
  /** `account:<id>`, `admin:<id>`, `system:<process>`. */
  readonly principal: string;
  /** ISO-8601 time from the injected clock. */
  readonly occurredAt: string;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
