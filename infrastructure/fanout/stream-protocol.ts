import { z } from 'zod';
import type { Quote } from '../../application/market/market-data.ts';

/** Close codes of the price socket (api.md; 4008 and 4029 are ours to add). */
export const CLOSE = {
  goingAway: 1001,
  unauthorized: 4001,
  tooSlow: 4008,
  tooManyMessages: 4029,
} as const;

export type StreamErrorCode = 'invalid_message' | 'unknown_symbol' | 'too_many_symbols' | 'unauthorized' | 'rate_limited';

const symbol = z.string().min(1).max(12);

/** What a client may send: one JSON object per text frame. */
export const clientMessage = z.discriminatedUnion('op', [
  z.object({ op: z.literal('auth'), token: z.string().min(1).max(8_192) }),
  z.object({
    op: z.literal('subscribe'),
    symbols: z.array(symbol).min(1).max(1_000),
    since: z.record(symbol, z.number().int().min(0)).optional(),
  }),
  z.object({ op: z.literal('unsubscribe'), symbols: z.array(symbol).min(1).max(1_000) }),
  z.object({ op: z.literal('subscribe_orders') }),
  z.object({ op: z.literal('ping') }),
]);
export type ClientMessage = z.infer<typeof clientMessage>;

/** A quote as the socket shows it (field order fixed, so one serialisation serves everyone). */
export function quoteEntry(quote: Quote): string {
  return JSON.stringify({
    symbol: quote.symbol,
    seq: quote.seq,
    priceCents: quote.priceCents,
    bidCents: quote.bidCents,
    askCents: quote.askCents,
    volume: quote.volume,
    changePct: quote.changePct,
    ts: quote.ts,
  });
}

export const messages = {
  quotes: (entries: readonly string[]) => `{"type":"quotes","data":[${entries.join(',')}]}`,
  snapshot: (entry: string) => `{"type":"snapshot",${entry.slice(1)}`,
  stale: (symbols: readonly string[]) => JSON.stringify({ type: 'stale', symbols }),
  order: (order: unknown) => JSON.stringify({ type: 'order', order }),
  pong: '{"type":"pong"}',
  error: (code: StreamErrorCode, message: string) => JSON.stringify({ type: 'error', code, message }),
};
