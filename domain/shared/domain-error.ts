/** Every business refusal the domain can give; the HTTP edge maps each to a status. */
export type DomainErrorCode =
  | 'invalid_amount'
  | 'invalid_order'
  | 'insufficient_funds'
  | 'insufficient_buying_power'
  | 'insufficient_position'
  | 'idempotency_conflict'
  | 'order_not_cancelable'
  | 'order_not_fillable'
  | 'overfill'
  | 'fill_above_reserved_price'
  | 'fill_through_limit'
  | 'execution_mismatch'
  | 'unknown_order'
  | 'unknown_symbol'
  | 'unknown_api_key'
  | 'unknown_position'
  | 'too_many_api_keys';

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
