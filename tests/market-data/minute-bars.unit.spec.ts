import { describe, expect, it } from 'vitest';
import type { Tick } from '../../application/market/market-data.ts';
import { MinuteBars } from '../../application/market/minute-bars.ts';

const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const MINUTE = 60_000;
let seq = 0;
const tick = (symbol: string, atMs: number, priceCents: number, volume: number): Tick => ({ symbol, seq: ++seq, priceCents, bidCents: priceCents - 1, askCents: priceCents + 1, volume, ts: new Date(atMs).toISOString() });

describe('live minute bars', () => {
  it('gives out only minutes seen whole: the minute the symbol began to be watched in is left out', () => {
    const bars = new MinuteBars();
    bars.watch('AAPL', T0 + 20_000);
    expect(bars.add([tick('AAPL', T0 + 30_000, 100, 10), tick('AAPL', T0 + MINUTE + 1_000, 110, 15), tick('AAPL', T0 + MINUTE + 2_000, 90, 30)])).toEqual([]);
    const ended = bars.add([tick('AAPL', T0 + 2 * MINUTE, 95, 31)]);
    // The first whole minute's first tick counts what traded since the tick before it (10 → 15).
    expect(ended).toEqual([{ symbol: 'AAPL', startMs: T0 + MINUTE, openCents: 110, highCents: 110, lowCents: 90, closeCents: 90, volume: 20 }]);
  });

  it('ends a minute by the clock after the grace, and leaves out ticks of a minute already given out', () => {
    const bars = new MinuteBars();
    bars.watch('MSFT', T0 - 1);
    bars.add([tick('MSFT', T0 + 1_000, 200, 0), tick('MSFT', T0 + 59_000, 210, 5)]);
    expect(bars.due(T0 + MINUTE + 500, 1_000)).toEqual([]);
    expect(bars.due(T0 + MINUTE + 1_000, 1_000)).toEqual([{ symbol: 'MSFT', startMs: T0, openCents: 200, highCents: 210, lowCents: 200, closeCents: 210, volume: 5 }]);
    expect(bars.add([tick('MSFT', T0 + 59_500, 300, 6)])).toEqual([]);
    expect(bars.due(T0 + 10 * MINUTE, 1_000)).toEqual([]);
  });

  it('folds nothing for symbols nobody watches, and forgets a symbol once unwatched', () => {
    const bars = new MinuteBars();
    expect(bars.add([tick('TSLA', T0, 100, 1), tick('TSLA', T0 + MINUTE, 100, 2)])).toEqual([]);
    bars.watch('TSLA', T0 - 1);
    bars.add([tick('TSLA', T0 + 1_000, 100, 3)]);
    bars.unwatch('TSLA');
    expect(bars.watching).toBe(0);
    expect(bars.due(T0 + 5 * MINUTE, 0)).toEqual([]);
  });
});
