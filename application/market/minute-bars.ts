import { foldTicksIntoCandles, INTERVAL_MILLISECONDS, mergeCandleDeltas, type Candle, type CandleDelta, type VolumeMark } from './candles.ts';
import type { Tick } from './market-data.ts';

const MINUTE = INTERVAL_MILLISECONDS['1m'];

export interface MinuteBar extends Candle {
  readonly symbol: string;
}

const barOf = (delta: CandleDelta): MinuteBar => ({
  symbol: delta.symbol,
  startMs: delta.bucketStartMs,
  openCents: delta.openCents,
  highCents: delta.highCents,
  lowCents: delta.lowCents,
  closeCents: delta.closeCents,
  volume: delta.volume,
});

/**
 * Live one-minute bars of the symbols someone watches, folded from every tick with the candle
 * fold. A bar is given out when its minute ends — a tick of a later minute arrives, or the clock
 * passes the minute's end plus a grace for ticks still on their way — and only for minutes seen
 * whole: those that began after the symbol was first watched. A tick of a minute already given
 * out is too late and left out. Pure: the caller brings the clock.
 */
export class MinuteBars {
  /** Symbol → when it began to be watched (epoch ms). */
  private readonly watchedSince = new Map<string, number>();
  private readonly open = new Map<string, CandleDelta>();
  private readonly closedThrough = new Map<string, number>();
  private readonly marks = new Map<string, VolumeMark>();

  watch(symbol: string, now: number): void {
    if (!this.watchedSince.has(symbol)) this.watchedSince.set(symbol, now);
  }

  unwatch(symbol: string): void {
    this.watchedSince.delete(symbol);
    this.open.delete(symbol);
    this.closedThrough.delete(symbol);
    this.marks.delete(symbol);
  }

  get watching(): number {
    return this.watchedSince.size;
  }

  /** Folds ticks (of watched symbols; others are passed over); returns the bars a later minute ended. */
  add(ticks: readonly Tick[]): MinuteBar[] {
    const watched = ticks.filter((tick) => this.watchedSince.has(tick.symbol));
    if (watched.length === 0) return [];
    const fold = foldTicksIntoCandles(watched, this.marks, ['1m']);
    for (const [symbol, mark] of fold.marks) this.marks.set(symbol, mark);
    const ended: MinuteBar[] = [];
    for (const delta of [...fold.deltas].sort((a, b) => a.bucketStartMs - b.bucketStartMs)) {
      if (delta.bucketStartMs <= (this.closedThrough.get(delta.symbol) ?? -Infinity)) continue;
      const current = this.open.get(delta.symbol);
      if (!current) this.open.set(delta.symbol, delta);
      else if (delta.bucketStartMs === current.bucketStartMs) this.open.set(delta.symbol, mergeCandleDeltas(current, delta));
      else if (delta.bucketStartMs > current.bucketStartMs) {
        this.end(current, ended);
        this.open.set(delta.symbol, delta);
      }
    }
    return ended;
  }

  /** The bars whose minute ended more than `graceMs` ago. */
  due(now: number, graceMs: number): MinuteBar[] {
    const ended: MinuteBar[] = [];
    for (const bar of this.open.values()) {
      if (bar.bucketStartMs + MINUTE + graceMs > now) continue;
      this.open.delete(bar.symbol);
      this.end(bar, ended);
    }
    return ended;
  }

  private end(bar: CandleDelta, ended: MinuteBar[]): void {
    this.closedThrough.set(bar.symbol, bar.bucketStartMs);
    if (bar.bucketStartMs >= (this.watchedSince.get(bar.symbol) ?? Infinity)) ended.push(barOf(bar));
  }
}
