import { Map as PersistentMap, Set as PersistentSet } from 'immutable';
import type { AccountState, CashHold, Position, ShareHold } from '../../domain/account/account.ts';

/**
 * The account decider's state as plain JSON, for snapshots. The three collections that only grow
 * are Immutable.js values: `JSON.stringify` would turn them into something `evolve` cannot use,
 * so they are written as arrays and rebuilt as the same persistent collections.
 *
 * Bump the format whenever `AccountState` or what `evolve` folds into it changes: snapshots of
 * another format are ignored (and rebuilt), never misread.
 */
export const ACCOUNT_STATE_FORMAT = 1;

type IdempotencyEntry = { readonly kind: 'deposit' | 'withdrawal'; readonly amountCents: number };

export interface EncodedAccountState {
  readonly cashCents: number;
  readonly reservedCents: number;
  readonly positions: Readonly<Record<string, Position>>;
  readonly holds: Readonly<Record<string, CashHold | ShareHold>>;
  readonly closedOrders: readonly string[];
  readonly settledExecutions: readonly string[];
  readonly idempotencyKeys: ReadonlyArray<readonly [string, IdempotencyEntry]>;
}

export function encodeAccountState(state: AccountState): EncodedAccountState {
  return {
    cashCents: state.cashCents,
    reservedCents: state.reservedCents,
    positions: state.positions,
    holds: state.holds,
    closedOrders: state.closedOrders.toArray(),
    settledExecutions: state.settledExecutions.toArray(),
    idempotencyKeys: [...state.idempotencyKeys.entries()],
  };
}

export class SnapshotFormatError extends Error {
  constructor(problem: string) {
    super(`account snapshot cannot be read: ${problem}`);
    this.name = 'SnapshotFormatError';
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

export function decodeAccountState(encoded: unknown): AccountState {
  if (!isRecord(encoded)) throw new SnapshotFormatError('not an object');
  const { cashCents, reservedCents, positions, holds, closedOrders, settledExecutions, idempotencyKeys } = encoded;
  if (!Number.isSafeInteger(cashCents) || !Number.isSafeInteger(reservedCents)) throw new SnapshotFormatError('cash is not whole cents');
  if (!isRecord(positions) || !isRecord(holds)) throw new SnapshotFormatError('positions or holds missing');
  if (!isStringArray(closedOrders) || !isStringArray(settledExecutions)) throw new SnapshotFormatError('closed orders or settled executions missing');
  if (!Array.isArray(idempotencyKeys)) throw new SnapshotFormatError('idempotency keys missing');
  return {
    cashCents: cashCents as number,
    reservedCents: reservedCents as number,
    positions: positions as Record<string, Position>,
    holds: holds as Record<string, CashHold | ShareHold>,
    closedOrders: PersistentSet(closedOrders),
    settledExecutions: PersistentSet(settledExecutions),
    idempotencyKeys: PersistentMap(idempotencyKeys as Array<[string, IdempotencyEntry]>),
  };
}
