import { v5 as uuidv5 } from 'uuid';

/** Namespace of every name-based id trading-core derives (a fixed, random UUID). */
const TRADING_CORE_NAMESPACE = '4f2d6c1e-8a3b-4f5e-9c7d-2b1a0e9f8d6c';

/**
 * The same name always gives the same UUID (v5), so a retried request or a re-run workflow step
 * writes the same ids, and the event store recognises the retry.
 */
export function deterministicId(name: string): string {
  return uuidv5(name, TRADING_CORE_NAMESPACE);
}

/** orderId from (accountId, clientOrderId): a retried placement lands on the same stream. */
export function orderIdFor(accountId: string, clientOrderId: string): string {
  return deterministicId(`order/${accountId}/${clientOrderId}`);
}
