/**
 * The price socket's messages (api.md, "Price socket"): one JSON object per text frame. The SDK
 * carries its own copy of the types so it depends on nothing of the server.
 */

/** A quote as the socket sends it. */
export interface QuoteFields {
  readonly symbol: string;
  /** Strictly increases per symbol. */
  readonly seq: number;
  readonly priceCents: number;
  readonly bidCents: number;
  readonly askCents: number;
  readonly volume: number;
  readonly changePct: number;
  /** ISO-8601 UTC with milliseconds. */
  readonly ts: string;
}

export type OrderStatus = 'pending' | 'submitted' | 'partially_filled' | 'filled' | 'pending_cancel' | 'canceled' | 'rejected' | 'failed' | 'expired';

/** The Order of api.md. */
export interface Order {
  readonly id: string;
  readonly clientOrderId: string;
  readonly accountId: string;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly type: 'market' | 'limit';
  readonly timeInForce: 'day' | 'gtc' | 'ioc' | 'fok';
  readonly qty: number;
  readonly limitPriceCents: number | null;
  readonly status: OrderStatus;
  readonly filledQty: number;
  readonly avgFillPriceCents: number | null;
  readonly externalOrderId: string | null;
  readonly rejectReason: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
}

/**
 * Error codes the server sends (`invalid_message`, `unknown_symbol`, `too_many_symbols`,
 * `unauthorized`, `rate_limited`), plus the client's own: `token_unavailable` (the token
 * provider failed) and `invalid_server_message` (a frame that is not part of the protocol).
 */
export interface StreamError {
  readonly code: string;
  readonly message: string;
}

export type ServerMessage =
  | ({ readonly type: 'snapshot' } & QuoteFields)
  | { readonly type: 'quotes'; readonly data: readonly QuoteFields[] }
  | { readonly type: 'order'; readonly order: Order }
  | { readonly type: 'stale'; readonly symbols: readonly string[] }
  | { readonly type: 'pong' }
  | ({ readonly type: 'error' } & StreamError);

export type ClientMessage =
  | { readonly op: 'auth'; readonly token: string }
  | { readonly op: 'subscribe'; readonly symbols: readonly string[]; readonly since?: Readonly<Record<string, number>> }
  | { readonly op: 'unsubscribe'; readonly symbols: readonly string[] }
  | { readonly op: 'subscribe_orders' }
  | { readonly op: 'ping' };

/** Close codes the client acts on. */
export const CLOSE_CODES = {
  normal: 1000,
  /** No close frame: the network dropped, or the client gave up on a silent server. */
  abnormal: 1006,
  /** Bad or missing token: reconnecting with the same token cannot help. */
  unauthorized: 4001,
  /** The connection could not keep up with the stream. */
  tooSlow: 4008,
} as const;

type Fields = Record<string, unknown>;

const isObject = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

function quoteFields(value: unknown): QuoteFields | undefined {
  if (!isObject(value)) return undefined;
  const { symbol, seq, priceCents, bidCents, askCents, volume, changePct, ts } = value;
  if (typeof symbol !== 'string' || !isNumber(seq) || typeof ts !== 'string') return undefined;
  if (!isNumber(priceCents) || !isNumber(bidCents) || !isNumber(askCents) || !isNumber(volume) || !isNumber(changePct)) return undefined;
  return { symbol, seq, priceCents, bidCents, askCents, volume, changePct, ts };
}

/** Reads one text frame; undefined when it is not a message of the protocol. */
export function parseServerMessage(text: string): ServerMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(value)) return undefined;
  switch (value.type) {
    case 'snapshot': {
      const fields = quoteFields(value);
      return fields && { type: 'snapshot', ...fields };
    }
    case 'quotes': {
      if (!Array.isArray(value.data)) return undefined;
      const data: QuoteFields[] = [];
      for (const entry of value.data) {
        const fields = quoteFields(entry);
        if (!fields) return undefined;
        data.push(fields);
      }
      return { type: 'quotes', data };
    }
    case 'order':
      return isObject(value.order) && typeof value.order.id === 'string' ? { type: 'order', order: value.order as unknown as Order } : undefined;
    case 'stale':
      return Array.isArray(value.symbols) && value.symbols.every((symbol) => typeof symbol === 'string') ? { type: 'stale', symbols: value.symbols as string[] } : undefined;
    case 'pong':
      return { type: 'pong' };
    case 'error':
      return typeof value.code === 'string' && typeof value.message === 'string' ? { type: 'error', code: value.code, message: value.message } : undefined;
    default:
      return undefined;
  }
}
