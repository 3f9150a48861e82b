import { z } from 'zod';

/** The schemas of api.md: they validate requests, type handlers and document `/docs`. */

const cents = z.number().int().min(-9_007_199_254_740_991).max(9_007_199_254_740_991);
const positiveCents = z.number().int().positive().max(1_000_000_000_000);
const timestamp = z.string().describe('ISO-8601 UTC with milliseconds');

export const errorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

export const accountBody = z.object({
  accountId: z.uuid(),
  cashCents: cents,
  reservedCents: cents,
  buyingPowerCents: cents,
  version: z.number().int(),
});

export const fundsRequest = z
  .object({
    amountCents: positiveCents,
    idempotencyKey: z.string().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and ._:- only'),
  })
  .strict();

export const ORDER_STATUSES = ['pending', 'submitted', 'partially_filled', 'filled', 'pending_cancel', 'canceled', 'rejected', 'failed', 'expired'] as const;

export const orderBody = z.object({
  id: z.uuid(),
  clientOrderId: z.string(),
  accountId: z.uuid(),
  symbol: z.string(),
  side: z.enum(['buy', 'sell']),
  type: z.enum(['market', 'limit']),
  timeInForce: z.enum(['day', 'gtc', 'ioc', 'fok']),
  qty: z.number().int(),
  limitPriceCents: z.number().int().nullable(),
  status: z.enum(ORDER_STATUSES),
  filledQty: z.number().int(),
  avgFillPriceCents: z.number().int().nullable(),
  externalOrderId: z.string().nullable(),
  rejectReason: z.string().nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
  version: z.number().int(),
});

export const symbolParam = z.string().regex(/^[A-Z][A-Z0-9.]{0,9}$/, 'an upper-case ticker');

export const orderRequest = z
  .object({
    clientOrderId: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, '1–64 characters of A–Z, a–z, 0–9 and ._:-'),
    symbol: symbolParam,
    side: z.enum(['buy', 'sell']),
    type: z.enum(['market', 'limit']),
    qty: z.number().int().positive().max(1_000_000_000),
    limitPriceCents: positiveCents.optional(),
    timeInForce: z.enum(['day', 'gtc', 'ioc', 'fok']).default('day'),
  })
  .strict()
  .superRefine((order, context) => {
    if (order.type === 'limit' && order.limitPriceCents === undefined) {
      context.addIssue({ code: 'custom', path: ['limitPriceCents'], message: 'is required for a limit order' });
    }
    if (order.type === 'market' && order.limitPriceCents !== undefined) {
      context.addIssue({ code: 'custom', path: ['limitPriceCents'], message: 'is not allowed for a market order' });
    }
    if (order.limitPriceCents !== undefined && !Number.isSafeInteger(order.qty * order.limitPriceCents)) {
      context.addIssue({ code: 'custom', path: ['qty'], message: 'qty × limitPriceCents is too large' });
    }
  });

export const cursorQuery = z.string().min(1).max(512).optional();
export const limitQuery = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback);

export const positionBody = z.object({
  symbol: z.string(),
  qty: z.number().int(),
  reservedQty: z.number().int(),
  avgCostCents: z.number().int(),
  marketPriceCents: z.number().int().nullable(),
  marketValueCents: z.number().int().nullable(),
  unrealizedPlCents: z.number().int().nullable(),
});

export const activityBody = z.object({
  id: z.uuid(),
  activityType: z.enum(['deposit', 'withdrawal', 'fill']),
  side: z.enum(['buy', 'sell']).nullable(),
  symbol: z.string().nullable(),
  qty: z.number().int().nullable(),
  priceCents: z.number().int().nullable(),
  netAmountCents: cents,
  orderId: z.uuid().nullable(),
  occurredAt: timestamp,
});

export const quoteBody = z.object({
  symbol: z.string(),
  priceCents: z.number().int(),
  bidCents: z.number().int(),
  askCents: z.number().int(),
  volume: z.number().int(),
  changePct: z.number(),
  seq: z.number().int(),
  ts: timestamp,
});

/** The standard error answers every authenticated route can give. */
export const authenticatedErrors = {
  400: errorBody,
  401: errorBody,
  403: errorBody,
  429: errorBody,
  503: errorBody,
} as const;
