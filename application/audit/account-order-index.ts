import type { Cut } from './instant.ts';

export interface OrderCandidates {
  /** Every order of the account open at the cut is among these (others may be too). */
  readonly orderIds: readonly string[];
  /**
   * The index has applied the log up to here (-1n: nothing). Orders placed after this position
   * are not in `orderIds`: the caller finds them in the log itself.
   */
  readonly appliedUpTo: bigint;
}

/**
 * Which order streams of an account may hold an open order at some past moment: an index the
 * log was folded into (placement and end of every order). It only narrows the streams to read;
 * the orders themselves are rebuilt from their events.
 */
export interface AccountOrderIndex {
  openCandidates(accountId: string, cut: Cut): Promise<OrderCandidates>;
}

/** An index that knows nothing: the caller scans the whole log (tests, and stores without one). */
export const NO_ORDER_INDEX: AccountOrderIndex = {
  openCandidates: async () => ({ orderIds: [], appliedUpTo: -1n }),
};
