/**
 * The shapes of the public contract (shared/api.md) the console reads: its own copy, as the SDK keeps
 * one, so the browser bundle depends on the contract and never on server code. Orders come from the SDK.
 */
export type { Order, OrderStatus } from '../../../sdk/index.ts';

export interface Account {
  readonly accountId: string;
  readonly cashCents: number;
  readonly reservedCents: number;
  readonly buyingPowerCents: number;
  readonly version: number;
}

export interface Position {
  readonly symbol: string;
  readonly qty: number;
  readonly reservedQty: number;
  readonly avgCostCents: number;
  readonly marketPriceCents: number | null;
  readonly marketValueCents: number | null;
  readonly unrealizedPlCents: number | null;
}

export interface Activity {
  readonly id: string;
  readonly activityType: 'deposit' | 'withdrawal' | 'fill';
  readonly side: 'buy' | 'sell' | null;
  readonly symbol: string | null;
  readonly qty: number | null;
  readonly priceCents: number | null;
  readonly netAmountCents: number;
  readonly orderId: string | null;
  readonly occurredAt: string;
}

export interface SymbolQuote {
  readonly symbol: string;
  readonly priceCents: number;
  readonly bidCents: number;
  readonly askCents: number;
  readonly volume: number;
  readonly changePct: number;
  readonly seq: number;
  readonly ts: string;
}

export type CandleInterval = '1m' | '1d';

/** One OHLCV bucket; `t` is its start (ISO-8601 UTC), prices in cents. */
export interface Candle {
  readonly t: string;
  readonly o: number;
  readonly h: number;
  readonly l: number;
  readonly c: number;
  readonly v: number;
}

/** `GET /console/config` (docs/api-additions.md). */
export interface ConsoleConfig {
  readonly streamUrls: readonly string[];
  readonly paperMode: boolean;
}

/** `POST /v1/paper/accounts` (api.md, Paper mode). */
export interface PaperAccount {
  readonly accountId: string;
  readonly token: string;
  readonly expiresAt: string;
}

export interface OrderRequest {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly type: 'market' | 'limit';
  readonly qty: number | null;
  readonly limitPriceCents?: number;
  readonly timeInForce: 'day' | 'gtc' | 'ioc' | 'fok';
}

/** The body of every non-2xx answer (api.md, Errors). */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details?: unknown };
}
