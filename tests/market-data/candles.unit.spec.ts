import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bucketStart,
  CANDLE_INTERVALS,
  foldTicksIntoCandles,
  mergeCandleDeltas,
  type CandleDelta,
  type CandleInterval,
  type VolumeMark,
} from '../../application/market/candles.ts';
import type { Tick } from '../../application/market/market-data.ts';
import { decodeTickMessage, parseTick } from '../../infrastructure/market-data/candles/tick-codec.ts';

const tick = (seq: number, priceCents: number, volume: number, ts: string, symbol = 'AAPL'): Tick => ({
  symbol,
  seq,
  priceCents,
  bidCents: priceCents - 1,
  askCents: priceCents + 1,
  volume,
  ts,
});

const at = (iso: string): number => Date.parse(iso);
const noMarks = new Map<string, VolumeMark>();

function candlesOf(deltas: readonly CandleDelta[], interval: CandleInterval, symbol = 'AAPL') {
  return deltas
    .filter((delta) => delta.interval === interval && delta.symbol === symbol)
    .sort((a, b) => a.bucketStartMs - b.bucketStartMs)
    .map(({ bucketStartMs, openCents, highCents, lowCents, closeCents, volume }) => ({ t: new Date(bucketStartMs).toISOString(), o: openCents, h: highCents, l: lowCents, c: closeCents, v: volume }));
}

describe('candle buckets', () => {
  it('given a tick a millisecond before midnight UTC, when bucketed, then each interval starts on its UTC boundary', () => {
    const ms = at('2026-03-04T23:59:59.999Z');
    expect(new Date(bucketStart(ms, '1s')).toISOString()).toBe('2026-03-04T23:59:59.000Z');
    expect(new Date(bucketStart(ms, '1m')).toISOString()).toBe('2026-03-04T23:59:00.000Z');
    expect(new Date(bucketStart(ms, '1h')).toISOString()).toBe('2026-03-04T23:00:00.000Z');
    expect(new Date(bucketStart(ms, '1d')).toISOString()).toBe('2026-03-04T00:00:00.000Z');
  });

  it('given a tick exactly on a boundary, when bucketed, then it opens the new bucket', () => {
    const ms = at('2026-03-05T00:00:00.000Z');
    for (const interval of CANDLE_INTERVALS) expect(bucketStart(ms, interval)).toBe(ms);
  });

  it('given a tick stamped with an offset, when bucketed, then the day is the UTC day', () => {
    expect(new Date(bucketStart(at('2026-03-05T01:30:00.000+02:00'), '1d')).toISOString()).toBe('2026-03-04T00:00:00.000Z');
  });
});

describe('folding ticks into candles', () => {
  it('given ticks out of sequence order within a batch, when folded, then open is the lowest seq and close the highest seq', () => {
    const ticks = [tick(3, 10_300, 130, '2026-03-04T10:00:00.300Z'), tick(1, 10_100, 100, '2026-03-04T10:00:00.100Z'), tick(4, 9_900, 150, '2026-03-04T10:00:00.400Z'), tick(2, 10_500, 110, '2026-03-04T10:00:00.200Z')];
    const { deltas, marks } = foldTicksIntoCandles(ticks, noMarks);
    for (const interval of CANDLE_INTERVALS) {
      expect(candlesOf(deltas, interval)).toEqual([{ t: new Date(bucketStart(at('2026-03-04T10:00:00Z'), interval)).toISOString(), o: 10_100, h: 10_500, l: 9_900, c: 9_900, v: 50 }]);
    }
    expect(marks.get('AAPL')).toEqual({ seq: 4, volume: 150 });
  });

  it('given ticks on both sides of a second boundary, when folded, then each second gets its own candle and the growth across the boundary goes to the later one', () => {
    const ticks = [tick(10, 500, 1_000, '2026-03-04T10:00:00.900Z'), tick(11, 510, 1_040, '2026-03-04T10:00:00.999Z'), tick(12, 490, 1_100, '2026-03-04T10:00:01.000Z'), tick(13, 495, 1_107, '2026-03-04T10:00:01.500Z')];
    const { deltas } = foldTicksIntoCandles(ticks, noMarks);
    expect(candlesOf(deltas, '1s')).toEqual([
      { t: '2026-03-04T10:00:00.000Z', o: 500, h: 510, l: 500, c: 510, v: 40 },
      { t: '2026-03-04T10:00:01.000Z', o: 490, h: 495, l: 490, c: 495, v: 67 },
    ]);
    expect(candlesOf(deltas, '1m')).toEqual([{ t: '2026-03-04T10:00:00.000Z', o: 500, h: 510, l: 490, c: 495, v: 107 }]);
  });

  it('given a volume mark from an earlier batch, when folded, then the first tick counts what traded since the marked tick', () => {
    const { deltas, marks } = foldTicksIntoCandles([tick(8, 700, 260, '2026-03-04T10:01:00.000Z')], new Map([['AAPL', { seq: 7, volume: 200 }]]));
    expect(candlesOf(deltas, '1m')).toEqual([{ t: '2026-03-04T10:01:00.000Z', o: 700, h: 700, l: 700, c: 700, v: 60 }]);
    expect(marks.get('AAPL')).toEqual({ seq: 8, volume: 260 });
  });

  it('given the first tick ever seen of a symbol, when folded, then it counts no volume (what traded before it belongs to no known bucket)', () => {
    const { deltas } = foldTicksIntoCandles([tick(1, 700, 5_000, '2026-03-04T10:01:00.000Z')], noMarks);
    expect(candlesOf(deltas, '1s')[0]?.v).toBe(0);
  });

  it('given a late tick below the volume mark, when folded, then its price counts but its volume does not, and the mark stays', () => {
    const { deltas, marks } = foldTicksIntoCandles([tick(5, 9_000, 180, '2026-03-04T10:00:00.500Z')], new Map([['AAPL', { seq: 7, volume: 200 }]]));
    expect(candlesOf(deltas, '1s')).toEqual([{ t: '2026-03-04T10:00:00.000Z', o: 9_000, h: 9_000, l: 9_000, c: 9_000, v: 0 }]);
    expect(marks.size).toBe(0);
  });

  it('given the same seq twice in a batch, when folded, then it counts once', () => {
    const once = foldTicksIntoCandles([tick(1, 100, 10, '2026-03-04T10:00:00.000Z'), tick(2, 120, 30, '2026-03-04T10:00:00.100Z')], noMarks);
    const twice = foldTicksIntoCandles([tick(1, 100, 10, '2026-03-04T10:00:00.000Z'), tick(2, 120, 30, '2026-03-04T10:00:00.100Z'), tick(2, 120, 30, '2026-03-04T10:00:00.100Z')], noMarks);
    expect(twice.deltas).toEqual(once.deltas);
  });

  it('given a cumulative volume that drops (the upstream counter was reset), when folded, then the new cumulative volume is what traded', () => {
    const { deltas } = foldTicksIntoCandles([tick(9, 100, 40, '2026-03-04T10:00:00.000Z')], new Map([['AAPL', { seq: 8, volume: 90_000 }]]));
    expect(candlesOf(deltas, '1s')[0]?.v).toBe(40);
  });

  it('given two symbols in one batch, when folded, then each has its own candles and mark', () => {
    const { deltas, marks } = foldTicksIntoCandles([tick(1, 100, 10, '2026-03-04T10:00:00.000Z', 'AAPL'), tick(1, 900, 70, '2026-03-04T10:00:00.000Z', 'MSFT'), tick(2, 910, 75, '2026-03-04T10:00:00.100Z', 'MSFT')], noMarks);
    expect(candlesOf(deltas, '1h', 'AAPL')).toEqual([{ t: '2026-03-04T10:00:00.000Z', o: 100, h: 100, l: 100, c: 100, v: 0 }]);
    expect(candlesOf(deltas, '1h', 'MSFT')).toEqual([{ t: '2026-03-04T10:00:00.000Z', o: 900, h: 910, l: 900, c: 910, v: 5 }]);
    expect(marks).toEqual(new Map([['AAPL', { seq: 1, volume: 10 }], ['MSFT', { seq: 2, volume: 75 }]]));
  });

  it('given a stored candle and a delta with earlier and later ticks, when merged, then open comes from the lower first seq and close from the higher last seq', () => {
    const stored: CandleDelta = { symbol: 'AAPL', interval: '1m', bucketStartMs: 0, openCents: 200, highCents: 250, lowCents: 190, closeCents: 210, volume: 7, firstSeq: 5, lastSeq: 9 };
    const earlier: CandleDelta = { ...stored, openCents: 180, highCents: 180, lowCents: 180, closeCents: 180, volume: 2, firstSeq: 3, lastSeq: 3 };
    const later: CandleDelta = { ...stored, openCents: 260, highCents: 260, lowCents: 260, closeCents: 260, volume: 1, firstSeq: 12, lastSeq: 12 };
    expect(mergeCandleDeltas(mergeCandleDeltas(stored, earlier), later)).toEqual({ ...stored, openCents: 180, highCents: 260, lowCents: 180, closeCents: 260, volume: 10, firstSeq: 3, lastSeq: 12 });
    expect(mergeCandleDeltas(mergeCandleDeltas(stored, later), earlier)).toEqual(mergeCandleDeltas(mergeCandleDeltas(stored, earlier), later));
  });
});

describe('folding ticks into candles, for any tick stream', () => {
  /** A symbol's ticks in seq order: prices, cumulative volume that only grows, time that only moves on. */
  const tickStream = fc
    .array(fc.record({ priceCents: fc.integer({ min: 1, max: 100_000 }), traded: fc.integer({ min: 0, max: 500 }), afterMs: fc.integer({ min: 0, max: 90_000 }) }), { minLength: 1, maxLength: 60 })
    .map((steps) => {
      let volume = 1_000;
      let ms = at('2026-03-04T23:58:00.000Z');
      return steps.map((step, i) => {
        volume += step.traded;
        ms += step.afterMs;
        return tick(i + 1, step.priceCents, volume, new Date(ms).toISOString());
      });
    });

  const byKey = (deltas: readonly CandleDelta[]) => new Map(deltas.map((delta) => [`${delta.interval}|${delta.bucketStartMs}`, delta]));

  it('given a stream split into two batches at any point and each batch shuffled, when folded batch by batch and merged, then the candles are those of the whole stream folded at once', () => {
    fc.assert(
      fc.property(tickStream, fc.nat(), fc.nat(), (ticks, splitAt, seed) => {
        const cut = splitAt % (ticks.length + 1);
        const shuffle = (list: Tick[]) => [...list].sort((a, b) => ((a.seq * 7919 + seed) % 101) - ((b.seq * 7919 + seed) % 101));
        const first = foldTicksIntoCandles(shuffle(ticks.slice(0, cut)), noMarks);
        const second = foldTicksIntoCandles(shuffle(ticks.slice(cut)), first.marks);
        const merged = byKey(first.deltas);
        for (const [key, delta] of byKey(second.deltas)) merged.set(key, merged.has(key) ? mergeCandleDeltas(merged.get(key)!, delta) : delta);
        expect(merged).toEqual(byKey(foldTicksIntoCandles(ticks, noMarks).deltas));
      }),
    );
  });

  it('given any stream, when folded, then every interval’s volumes add up to the growth of the cumulative volume', () => {
    fc.assert(
      fc.property(tickStream, (ticks) => {
        const { deltas } = foldTicksIntoCandles(ticks, noMarks);
        const growth = ticks[ticks.length - 1]!.volume - ticks[0]!.volume;
        for (const interval of CANDLE_INTERVALS) {
          expect(deltas.filter((delta) => delta.interval === interval).reduce((sum, delta) => sum + delta.volume, 0)).toBe(growth);
        }
      }),
    );
  });
});

describe('reading ticks off the log', () => {
  it('given a tick value, when decoded, then it is the tick', () => {
    const value = tick(3, 18_990, 1_200, '2026-03-04T10:00:00.000Z');
    expect(decodeTickMessage(Buffer.from(JSON.stringify(value)))).toEqual(value);
  });

  it('given a stale marker, a half tick, a fractional price or no JSON at all, when decoded, then it is not a tick', () => {
    expect(decodeTickMessage(Buffer.from(JSON.stringify({ symbol: 'AAPL', stale: true, ts: '2026-03-04T10:00:00.000Z' })))).toBeUndefined();
    expect(parseTick({ symbol: 'AAPL', seq: 1, ts: '2026-03-04T10:00:00.000Z' })).toBeUndefined();
    expect(parseTick({ ...tick(1, 100, 1, '2026-03-04T10:00:00.000Z'), priceCents: 100.5 })).toBeUndefined();
    expect(decodeTickMessage(Buffer.from('not json'))).toBeUndefined();
    expect(decodeTickMessage(null)).toBeUndefined();
  });
});
