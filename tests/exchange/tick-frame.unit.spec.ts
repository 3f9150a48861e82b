import { describe, expect, it } from 'vitest';
import { decodeTickFrame } from '../../gateways/exchange/wire/tick-frame.ts';

const tick = { symbol: 'AAPL', priceCents: 19_000, bidCents: 18_995, askCents: 19_005, volume: 1_200, ts: '2026-12-02T10:00:00.000Z' };

describe('the exchange tick frame', () => {
  it('reads one tick or an array of them, in order', () => {
    expect(decodeTickFrame(JSON.stringify(tick))).toEqual([tick]);
    expect(decodeTickFrame(JSON.stringify([tick, { ...tick, symbol: 'MSFT' }])).map((entry) => entry.symbol)).toEqual(['AAPL', 'MSFT']);
  });

  it('leaves out ticks of the wrong shape and keeps the rest of their frame', () => {
    const bad = [{ ...tick, priceCents: 190.5 }, { ...tick, symbol: 'aapl' }, { ...tick, volume: -1 }, { ...tick, ts: 5 }, null, 'AAPL', { ...tick, bidCents: 0 }];
    expect(decodeTickFrame(JSON.stringify([...bad, tick]))).toEqual([tick]);
  });

  it('takes only the wire fields, whatever else a tick carries', () => {
    expect(decodeTickFrame(JSON.stringify({ ...tick, seq: 99, extra: 'x' }))).toEqual([tick]);
  });

  it('reads nothing from a frame that is not JSON', () => {
    expect(decodeTickFrame('{"symbol":')).toEqual([]);
  });
});
