/** The order ticket's fields, each with its own error element. */
export type TicketField = 'symbol' | 'side' | 'type' | 'qty' | 'limitPrice' | 'timeInForce';

export interface TicketErrors {
  readonly fields: Partial<Record<TicketField, string>>;
  /** What concerns no one field (the exchange is down, too many requests, …). */
  readonly form?: string;
}

/** The request's field names (api.md, `POST /v1/orders`) → the ticket's. */
const BODY_FIELDS: Record<string, TicketField> = {
  symbol: 'symbol',
  side: 'side',
  type: 'type',
  qty: 'qty',
  limitPriceCents: 'limitPrice',
  timeInForce: 'timeInForce',
};

/** How a field is named when the contract's message leaves the subject out ("is required for a limit order"). */
const FIELD_NAMES: Record<TicketField, string> = {
  symbol: 'The symbol',
  side: 'The side',
  type: 'The order type',
  qty: 'The quantity',
  limitPrice: 'The limit price',
  timeInForce: 'The time in force',
};

const sentence = (field: TicketField, message: string) => (/^[a-z]/.test(message) ? `${FIELD_NAMES[field]} ${message}` : message);

/** Business refusals (api.md, Errors) and the field each is about. */
const CODE_FIELDS: Record<string, TicketField> = {
  insufficient_buying_power: 'qty',
  insufficient_position: 'qty',
  unknown_symbol: 'symbol',
};

interface Failure {
  readonly code: string;
  readonly message: string;
  readonly fieldIssues: ReadonlyArray<{ field: string; message: string }>;
}

/**
 * Where the contract's answer to an order goes on the ticket: a 400's `details` name the failing
 * body fields (`body.limitPriceCents`); a 422's code names what it is about. Anything else is the form's.
 */
export function ticketErrors(failure: Failure): TicketErrors {
  const fields: Partial<Record<TicketField, string>> = {};
  const unplaced: string[] = [];
  for (const issue of failure.fieldIssues) {
    const [part, name] = issue.field.split('.');
    const field = part === 'body' && name !== undefined ? BODY_FIELDS[name] : undefined;
    if (field) fields[field] = fields[field] ? `${fields[field]}; ${issue.message}` : sentence(field, issue.message);
    else unplaced.push(`${issue.field}: ${issue.message}`);
  }
  const coded = CODE_FIELDS[failure.code];
  if (coded && !fields[coded]) fields[coded] = failure.message;
  if (Object.keys(fields).length > 0) return unplaced.length > 0 ? { fields, form: unplaced.join('; ') } : { fields };
  return { fields, form: failure.message };
}
