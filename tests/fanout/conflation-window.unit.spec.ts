import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConflationWindow } from '../../application/market/conflation-window.ts';
import type { Tick, TickLogEntry } from '../../application/market/market-data.ts';

const tick = (symbol: string, seq: number): Tick => ({ symbol, seq, priceCents: 1_000 + seq, bidCents: 999, askCents: 1_001, volume: seq, ts: '2026-11-23T10:00:00.000Z' });
const stale = (symbol: string): TickLogEntry => ({ symbol, stale: true, ts: '2026-11-23T10:00:00.000Z' });

describe('ConflationWindow', () => {
  it('given many ticks of a symbol in one window, when it drains, then only the newest goes out', () => {
    const window = new ConflationWindow();
    window.add([tick('AAPL', 1), tick('AAPL', 3), tick('MSFT', 1), tick('AAPL', 2)]);
    expect(window.drain().ticks.map((t) => `${t.symbol}:${t.seq}`)).toEqual(['AAPL:3', 'MSFT:1']);
  });

  it('given a redelivered or older tick after a drain, when the next window drains, then nothing goes backwards', () => {
    const window = new ConflationWindow();
    window.warm([tick('AAPL', 10)]);
    window.add([tick('AAPL', 9), tick('AAPL', 10)]);
    expect(window.drain().ticks).toEqual([]);
    window.add([tick('AAPL', 11)]);
    expect(window.drain().ticks.map((t) => t.seq)).toEqual([11]);
  });

  it('given a stale marker, when it drains, then the symbol is announced stale once, and its next tick is a resumption', () => {
    const window = new ConflationWindow();
    window.add([tick('AAPL', 1), stale('AAPL'), stale('AAPL')]);
    expect(window.drain()).toMatchObject({ stale: ['AAPL'] });
    expect(window.isStale('AAPL')).toBe(true);
    window.add([tick('AAPL', 2)]);
    const resumed = window.drain();
    expect(resumed.ticks.map((t) => t.seq)).toEqual([2]);
    expect([...resumed.resumed]).toEqual(['AAPL']);
    expect(window.isStale('AAPL')).toBe(false);
  });

  it('given a stale marker and a tick in the same window, when it drains, then clients hear of neither staleness nor resumption', () => {
    const window = new ConflationWindow();
    window.add([tick('AAPL', 1)]);
    window.drain();
    window.add([stale('AAPL'), tick('AAPL', 2)]);
    const drained = window.drain();
    expect(drained.stale).toEqual([]);
    expect([...drained.resumed]).toEqual([]);
    expect(drained.ticks.map((t) => t.seq)).toEqual([2]);
  });

  it('given any interleaving of ticks and drains, then what goes out per symbol strictly increases', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.record({ symbol: fc.constantFrom('A', 'B', 'C'), seq: fc.integer({ min: 1, max: 50 }) }), fc.constant('drain' as const)), { maxLength: 200 }), (steps) => {
        const window = new ConflationWindow();
        const out = new Map<string, number[]>();
        const record = () => {
          for (const t of window.drain().ticks) out.set(t.symbol, [...(out.get(t.symbol) ?? []), t.seq]);
        };
        for (const step of steps) {
          if (step === 'drain') record();
          else window.add([tick(step.symbol, step.seq)]);
        }
        record();
        for (const seqs of out.values()) for (let i = 1; i < seqs.length; i += 1) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!);
      }),
    );
  });
});
