import type { RecordedEvent } from '../event-store/event-store.ts';

/**
 * One reportable order event, in the spirit of FINRA's Consolidated Audit Trail: new order,
 * route to the exchange, fill, cancel and rejection, each with a millisecond timestamp and the
 * ids that link it to the rest of the order's life.
 */
export interface OrderLifecycleRecord {
  /** CAT-style event type: MENO new order, MEOR route, MEOF fill, MEOC cancel (or expiry), MEOJ rejection. */
  readonly eventType: 'MENO' | 'MEOR' | 'MEOF' | 'MEOC' | 'MEOJ';
  readonly eventTimestamp: string;
  /** The event in our log that this record reports (id and global position). */
  readonly eventId: string;
  readonly position: string;
  readonly orderId: string;
  readonly clientOrderId: string | null;
  readonly accountId: string;
  readonly symbol: string | null;
  readonly side: 'B' | 'SL' | null;
  readonly orderType: 'MKT' | 'LMT' | null;
  readonly timeInForce: string | null;
  readonly quantity: number | null;
  /** Dollars with two decimals, written from integer cents (never through a float). */
  readonly price: string | null;
  readonly routedOrderId: string | null;
  readonly destination: string | null;
  readonly executionId: string | null;
  readonly reason: string | null;
}

export const ORDER_LIFECYCLE_FIELDS: ReadonlyArray<keyof OrderLifecycleRecord> = [
  'eventType', 'eventTimestamp', 'eventId', 'position', 'orderId', 'clientOrderId', 'accountId', 'symbol', 'side', 'orderType',
  'timeInForce', 'quantity', 'price', 'routedOrderId', 'destination', 'executionId', 'reason',
];

/** Integer cents as a dollar amount with two decimals, by string arithmetic. */
export function dollars(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const digits = String(Math.abs(cents)).padStart(3, '0');
  return `${sign}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

interface OrderFacts {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
}

/**
 * Maps order events (in log order) to lifecycle records. Orders placed before the exported day
 * still link: `known` carries what their OrderPlaced said, and is filled as events pass.
 */
export class OrderLifecycleExport {
  private readonly orders = new Map<string, OrderFacts>();

  records(events: Iterable<RecordedEvent>, inDay: (event: RecordedEvent) => boolean): OrderLifecycleRecord[] {
    const out: OrderLifecycleRecord[] = [];
    for (const event of events) {
      if (!event.streamId.startsWith('order-')) continue;
      const data = event.data as Record<string, unknown>;
      const orderId = String(data.orderId);
      if (event.type === 'OrderPlaced') this.orders.set(orderId, { clientOrderId: String(data.clientOrderId), symbol: String(data.symbol), side: data.side as 'buy' | 'sell' });
      if (!inDay(event)) continue;
      const record = this.record(event, orderId, data);
      if (record) out.push(record);
    }
    return out;
  }

  private record(event: RecordedEvent, orderId: string, data: Record<string, unknown>): OrderLifecycleRecord | undefined {
    const facts = this.orders.get(orderId);
    const base = {
      eventTimestamp: event.recordedAt.toISOString(),
      eventId: event.id,
      position: event.position.toString(),
      orderId,
      clientOrderId: facts?.clientOrderId ?? null,
      accountId: String(data.accountId),
      symbol: facts?.symbol ?? null,
      side: facts ? (facts.side === 'buy' ? ('B' as const) : ('SL' as const)) : null,
      orderType: null,
      timeInForce: null,
      quantity: null,
      price: null,
      routedOrderId: null,
      destination: null,
      executionId: null,
      reason: null,
    };
    switch (event.type) {
      case 'OrderPlaced':
        return {
          ...base,
          eventType: 'MENO',
          orderType: data.type === 'market' ? 'MKT' : 'LMT',
          timeInForce: String(data.timeInForce).toUpperCase(),
          quantity: Number(data.qty),
          price: typeof data.limitPriceCents === 'number' ? dollars(data.limitPriceCents) : null,
        };
      case 'OrderSubmitted':
        return { ...base, eventType: 'MEOR', routedOrderId: String(data.externalOrderId), destination: 'EXCHANGE' };
      case 'OrderFillRecorded':
        return { ...base, eventType: 'MEOF', quantity: Number(data.qty), price: dollars(Number(data.priceCents)), executionId: String(data.executionId) };
      case 'OrderCanceled':
        return { ...base, eventType: 'MEOC', reason: 'canceled' };
      case 'OrderExpired':
        return { ...base, eventType: 'MEOC', reason: 'expired' };
      case 'OrderRejected':
      case 'OrderFailed':
        return { ...base, eventType: 'MEOJ', reason: String(data.reason) };
      default:
        return undefined;
    }
  }
}

/** RFC 4180 CSV with a header row. */
export function toCsv(records: readonly OrderLifecycleRecord[]): string {
  const cell = (value: unknown) => {
    const text = value === null || value === undefined ? '' : String(value);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [ORDER_LIFECYCLE_FIELDS.join(','), ...records.map((record) => ORDER_LIFECYCLE_FIELDS.map((field) => cell(record[field])).join(','))].join('\r\n') + '\r\n';
}
