import { z } from 'zod';

/**
 * The exchange's execution feed, version 1: one JSON object per WebSocket text frame. Each
 * session (one run of the exchange) a connection is sent opens with a `hello` naming it; reports
 * carry their session, and sequence numbers count within it, starting again at 1 in the next.
 */

export const feedHello = z.object({
  type: z.literal('hello'),
  session: z.string().min(1).max(64),
  lastSeq: z.number().int().min(0),
});

export type FeedHello = z.infer<typeof feedHello>;

export const executionReport = z.object({
  type: z.literal('execution'),
  executionId: z.string(),
  externalOrderId: z.string(),
  clientOrderId: z.string(),
  symbol: z.string(),
  side: z.enum(['buy', 'sell']),
  qty: z.number().int().positive(),
  priceCents: z.number().int().positive(),
  leavesQty: z.number().int().min(0),
});

export const orderStatusReport = z.object({
  type: z.literal('order_status'),
  externalOrderId: z.string(),
  clientOrderId: z.string(),
  status: z.enum(['canceled', 'expired', 'rejected']),
  reason: z.string().optional(),
});

const sequenced = { session: z.string().min(1).max(64), seq: z.number().int().positive() };

/** A report as it arrives: with its place in the feed. */
export const feedReport = z.discriminatedUnion('type', [executionReport.extend(sequenced), orderStatusReport.extend(sequenced)]);

export type FeedReport = z.infer<typeof feedReport>;

/** Anything a feed connection receives. */
export const feedMessage = z.discriminatedUnion('type', [feedHello, executionReport.extend(sequenced), orderStatusReport.extend(sequenced)]);
