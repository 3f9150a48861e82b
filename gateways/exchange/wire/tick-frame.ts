/**
 * The exchange's tick feed (`/v1/ticks`): each text frame is one tick or a JSON array of them,
 * in the exchange's order. A tick that does not have exactly the wire's shape is left out; the
 * rest of its frame stands. Checked by hand rather than by a schema library: at tens of thousands
 * of ticks a second, this check is a measurable share of the ingestor's core.
 */
export interface ExchangeTick {
  readonly symbol: string;
  readonly priceCents: number;
  readonly bidCents: number;
  readonly askCents: number;
  readonly volume: number;
  readonly ts: string;
}

const SYMBOL = /^[A-Z][A-Z0-9.]{0,9}$/;
const positiveInteger = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value > 0;

export function asExchangeTick(raw: unknown): ExchangeTick | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { symbol, priceCents, bidCents, askCents, volume, ts } = raw as Record<string, unknown>;
  if (typeof symbol !== 'string' || !SYMBOL.test(symbol) || typeof ts !== 'string' || ts.length > 40) return undefined;
  if (!positiveInteger(priceCents) || !positiveInteger(bidCents) || !positiveInteger(askCents)) return undefined;
  if (typeof volume !== 'number' || !Number.isSafeInteger(volume) || volume < 0) return undefined;
  return { symbol, priceCents, bidCents, askCents, volume, ts };
}

/** The well-formed ticks of one frame (none for a frame that is not JSON). */
export function decodeTickFrame(text: string): ExchangeTick[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return [];
  }
  const ticks: ExchangeTick[] = [];
  for (const entry of Array.isArray(raw) ? raw : [raw]) {
    const tick = asExchangeTick(entry);
    if (tick) ticks.push(tick);
  }
  return ticks;
}
