import type { Tick } from './market-data.ts';

/**
 * OHLCV candles from the tick log: which bucket a tick falls in, the fold that turns a batch of
 * ticks into per-bucket candle deltas, the merge of two deltas of one bucket, and the ports the
 * candles consumer and the API use. Pure: no I/O, no clock.
 */

export const CANDLE_INTERVALS = ['1s', '1m', '1h', '1d'] as const;
export type CandleInterval = (typeof CANDLE_INTERVALS)[number];

export const INTERVAL_MILLISECONDS: Readonly<Record<CandleInterval, number>> = {
  '1s': 1_000,
  '1m': 60_000,
  '1h': 3_600_000,
  '1d': 86_400_000,
};

/** The most candles one query answers (1,000 one-second candles are about 17 minutes). */
export const MAX_CANDLES_PER_QUERY = 1_000;

/**
 * The start of the bucket `epochMs` falls in, in epoch milliseconds. Epoch time has no leap
 * seconds and starts at a UTC midnight, so every bucket (a day's too) starts on a UTC boundary.
 */
export function bucketStart(epochMs: number, interval: CandleInterval): number {
  const width = INTERVAL_MILLISECONDS[interval];
  return Math.floor(epochMs / width) * width;
}

/**
 * What a batch of ticks adds to one candle. `firstSeq` / `lastSeq` are the sequence numbers the
 * open and close were taken from, so two deltas of one bucket merge in any order.
 */
export interface CandleDelta {
  readonly symbol: string;
  readonly interval: CandleInterval;
  readonly bucketStartMs: number;
  readonly openCents: number;
  readonly highCents: number;
  readonly lowCents: number;
  readonly closeCents: number;
  /** Shares traded in the bucket (growth of the cumulative volume, see `volumeGrowth`). */
  readonly volume: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
}

/** Two deltas of the same bucket as one: open from the lower first seq, close from the higher last seq. */
export function mergeCandleDeltas(current: CandleDelta, next: CandleDelta): CandleDelta {
  return {
    symbol: current.symbol,
    interval: current.interval,
    bucketStartMs: current.bucketStartMs,
    openCents: next.firstSeq < current.firstSeq ? next.openCents : current.openCents,
    highCents: Math.max(current.highCents, next.highCents),
    lowCents: Math.min(current.lowCents, next.lowCents),
    closeCents: next.lastSeq > current.lastSeq ? next.closeCents : current.closeCents,
    volume: current.volume + next.volume,
    firstSeq: Math.min(current.firstSeq, next.firstSeq),
    lastSeq: Math.max(current.lastSeq, next.lastSeq),
  };
}

/**
 * The newest tick of a symbol already folded into candles: the cumulative volume the next tick's
 * growth is measured from, whichever batch (or process run) it arrives in.
 */
export interface VolumeMark {
  readonly seq: number;
  readonly volume: number;
}

/**
 * Shares traded between two ticks, from the cumulative volumes they carry. The cumulative volume
 * only grows; when it drops anyway the upstream counter was reset (an exchange restart), and
 * everything it counted since the reset is new.
 */
export function volumeGrowth(previousCumulative: number, cumulative: number): number {
  return cumulative >= previousCumulative ? cumulative - previousCumulative : cumulative;
}

export interface CandleFold {
  /** One delta per (symbol, interval, bucket) the batch touched. */
  readonly deltas: CandleDelta[];
  /** The new volume mark of every symbol whose newest tick the batch moved forward. */
  readonly marks: Map<string, VolumeMark>;
}

/**
 * Folds a batch of ticks (any order, any symbols) into candle deltas for every interval (or those asked for).
 *
 * Volume is the growth of the cumulative volume, tick to tick in sequence order: a tick counts
 * what traded since the tick before it — the previous tick of the batch, or the symbol's volume
 * mark from earlier batches. So the volumes of consecutive buckets add up to exactly the growth
 * of the cumulative volume, with nothing counted twice or lost at bucket boundaries. Two choices:
 * - the very first tick of a symbol (no mark, nothing before it in the batch) counts 0: what
 *   traded before we saw it belongs to no bucket we know;
 * - a late tick (its seq at or below the mark) counts 0: its growth was already counted by the
 *   newer tick measured from the mark. Its price still counts (high, low, and open or close by seq).
 * A sequence number repeated within a batch is one tick: the first copy counts.
 */
export function foldTicksIntoCandles(ticks: readonly Tick[], marks: ReadonlyMap<string, VolumeMark>, intervals: readonly CandleInterval[] = CANDLE_INTERVALS): CandleFold {
  const bySymbol = new Map<string, Tick[]>();
  for (const tick of ticks) {
    const list = bySymbol.get(tick.symbol);
    if (list) list.push(tick);
    else bySymbol.set(tick.symbol, [tick]);
  }
  const deltas = new Map<string, CandleDelta>();
  const newMarks = new Map<string, VolumeMark>();
  for (const [symbol, symbolTicks] of bySymbol) {
    const ordered = [...symbolTicks].sort((a, b) => a.seq - b.seq);
    const mark = marks.get(symbol);
    let newest: VolumeMark | undefined = mark;
    let previousSeq: number | undefined;
    for (const tick of ordered) {
      if (tick.seq === previousSeq) continue;
      previousSeq = tick.seq;
      const late = newest !== undefined && tick.seq <= newest.seq;
      const volume = late || newest === undefined ? 0 : volumeGrowth(newest.volume, tick.volume);
      if (!late) newest = { seq: tick.seq, volume: tick.volume };
      const epochMs = Date.parse(tick.ts);
      for (const interval of intervals) {
        const single: CandleDelta = {
          symbol,
          interval,
          bucketStartMs: bucketStart(epochMs, interval),
          openCents: tick.priceCents,
          highCents: tick.priceCents,
          lowCents: tick.priceCents,
          closeCents: tick.priceCents,
          volume,
          firstSeq: tick.seq,
          lastSeq: tick.seq,
        };
        const key = `${interval}\u0000${single.bucketStartMs}\u0000${symbol}`;
        const current = deltas.get(key);
        deltas.set(key, current ? mergeCandleDeltas(current, single) : single);
      }
    }
    if (newest !== undefined && newest !== mark) newMarks.set(symbol, newest);
  }
  return { deltas: [...deltas.values()], marks: newMarks };
}

/** One candle as stored and served. */
export interface Candle {
  readonly startMs: number;
  readonly openCents: number;
  readonly highCents: number;
  readonly lowCents: number;
  readonly closeCents: number;
  readonly volume: number;
}

/** Candles of one symbol and interval whose bucket starts within [fromMs, toMs] (either end open). */
export interface CandleQuery {
  readonly symbol: string;
  readonly interval: CandleInterval;
  readonly fromMs?: number;
  readonly toMs?: number;
  /** At most this many (capped at MAX_CANDLES_PER_QUERY): the newest of the window, or the oldest with `take: 'oldest'`. */
  readonly limit: number;
  readonly take?: 'newest' | 'oldest';
}

export interface CandleQueries {
  /** The newest (or oldest) `limit` candles of the window, oldest first. */
  candles(query: CandleQuery): Promise<Candle[]>;
}

/** A tick and the log offset it was read at. */
export interface OffsetTick {
  readonly offset: bigint;
  readonly tick: Tick;
}

/** What one partition of a partitioned log (a Kafka topic) delivered in one batch. */
export interface PartitionBatch {
  readonly log: string;
  readonly partition: number;
  /** The offset of the batch's last message, tick or not: the partition's checkpoint once applied. */
  readonly lastOffset: bigint;
  /** The batch's ticks with their offsets; messages that are not ticks are left out. */
  readonly ticks: readonly OffsetTick[];
}

export interface PartitionBatchOutcome {
  /** Ticks folded into candles. */
  readonly applied: number;
  /** Ticks at or below the partition's checkpoint: a redelivery, left alone. */
  readonly redelivered: number;
}

/** Where candles are kept; the candles consumer writes, the API reads. */
export interface CandleStore extends CandleQueries {
  /**
   * Folds a partition's batch into candles exactly once: in one transaction with the partition's
   * checkpoint, skipping every tick at or below it, so at-least-once delivery never counts twice.
   */
  applyPartitionBatch(batch: PartitionBatch): Promise<PartitionBatchOutcome>;
  /** Folds ticks from a log that never redelivers (the embedded mode's in-process log). */
  applyLiveTicks(ticks: readonly Tick[]): Promise<number>;
  /** The last applied offset per partition of `log`. */
  checkpoints(log: string): Promise<Map<number, bigint>>;
  /** Removes the `interval` candles whose bucket starts before `beforeMs`; returns how many. */
  pruneCandles(interval: CandleInterval, beforeMs: number): Promise<number>;
}
