import { z } from 'zod';
import type { Tick } from '../../../application/market/market-data.ts';

/**
 * A tick as `market.ticks` carries it (JSON). Anything else on the log — a stale marker
 * `{ symbol, stale: true, ts }`, or a value a newer or broken producer wrote — does not parse and
 * is left out of candles.
 */
const tickValue = z.object({
  symbol: z.string().min(1),
  seq: z.number().int().positive(),
  priceCents: z.number().int().positive(),
  bidCents: z.number().int().nonnegative(),
  askCents: z.number().int().nonnegative(),
  volume: z.number().int().nonnegative(),
  ts: z.iso.datetime({ offset: true }),
  openCents: z.number().int().positive().optional(),
});

/** The tick `value` is, or undefined when it is not one. */
export function parseTick(value: unknown): Tick | undefined {
  const parsed = tickValue.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** The tick a Kafka message value holds, or undefined when it holds none (not JSON, not a tick). */
export function decodeTickMessage(value: Buffer | null): Tick | undefined {
  if (!value) return undefined;
  try {
    return parseTick(JSON.parse(value.toString('utf8')));
  } catch {
    return undefined;
  }
}
