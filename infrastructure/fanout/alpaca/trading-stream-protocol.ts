import { z } from 'zod';
import type { OrderUpdate } from '../../../application/market/market-data.ts';
import { centsToDecimal } from '../../http/alpaca/alpaca-decimal.ts';
import { alpacaOrder } from '../../http/alpaca/alpaca-model.ts';

/**
 * The wire of Alpaca's trading stream (`/stream`): JSON objects both ways, every server frame
 * `{ stream | action, data: {…} }` (clients read `data` unconditionally).
 */

/** The streams this server serves; `listen` for others leaves them out of the acknowledgement, as Alpaca does. */
export const TRADING_STREAMS = ['trade_updates'] as const;

const keyPair = z.object({ key_id: z.string().min(1).max(128), secret_key: z.string().min(1).max(512) });
const oauth = z.object({ oauth_token: z.string().min(1).max(8_192) });

export const tradingClientMessage = z.discriminatedUnion('action', [
  z.object({ action: z.literal('authenticate'), data: z.union([keyPair, oauth]) }),
  z.object({ action: z.literal('listen'), data: z.object({ streams: z.array(z.string().max(64)).max(32) }) }),
]);
export type TradingClientMessage = z.infer<typeof tradingClientMessage>;

export const tradingFrames = {
  authorization: (status: 'authorized' | 'unauthorized', action: 'authenticate' | 'listen') => JSON.stringify({ stream: 'authorization', data: { status, action } }),
  listening: (streams: readonly string[]) => JSON.stringify({ stream: 'listening', data: { streams } }),
  /** The 4.x SDK reads `error_message`, the 3.x SDK `error`. */
  error: (message: string) => JSON.stringify({ action: 'error', data: { error: message, error_message: message } }),
  /** A `trade_updates` frame, or undefined for an update Alpaca has no event for. */
  tradeUpdate(update: OrderUpdate): string | undefined {
    if (update.event === null) return undefined;
    const fill = update.fill;
    const data = {
      event: update.event,
      ...(fill ? { execution_id: fill.executionId } : {}),
      order: alpacaOrder(update.order),
      timestamp: update.at,
      ...(fill ? { price: centsToDecimal(fill.priceCents), qty: String(fill.qty), position_qty: String(fill.positionQty) } : {}),
    };
    return JSON.stringify({ stream: 'trade_updates', data });
  },
};
