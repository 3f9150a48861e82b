import kafkajs, { type Producer } from 'kafkajs';
import type { Tick } from '../../application/market/market-data.ts';
import { seededRandom } from '../../domain/shared/seeded-random.ts';
import { TICKS_TOPIC } from '../../infrastructure/market-data/kafka-tick-log.ts';
import { ZipfSampler } from './zipf.ts';

export interface TickGeneratorOptions {
  readonly brokers: readonly string[];
  readonly universe: ReadonlyArray<{ symbol: string; referencePriceCents: number }>;
  readonly ticksPerSecond: number;
  readonly zipfExponent: number;
  readonly seed: number;
  /** How often a batch goes out. */
  readonly batchEveryMs?: number;
}

interface SymbolState {
  priceCents: number;
  readonly openCents: number;
  volume: number;
  seq: number;
}

/** Batches in flight at most; past that the generator skips a beat (and counts it) instead of queueing without bound. */
const MAX_IN_FLIGHT = 8;
/** Ticks per produce request: far below the broker's message size limit however late a timer fires. */
const MAX_BATCH = 2_000;

/**
 * Publishes synthetic ticks into `market.ticks` at a steady rate: a batch every ~10 ms, the symbol
 * of each tick drawn with Zipf skew. `ts` is the moment the batch is sent, so a client's receive
 * time minus `ts` is the tick-to-client latency (Kafka, conflation window and fan-out included).
 *
 * Only `market.ticks` is written, not the compacted `market.last`: the fan-out follows the live
 * topic, `market.last` is what fan-outs warm from and the ingestor resumes its sequences from, and
 * a benchmark's millions of ticks there would slow every later fan-out start until compaction.
 * Sequences start at Date.now() × 1000, above anything a previous run (or the ingestor) published.
 */
export class TickGenerator {
  private producer: Producer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly symbols: SymbolState[];
  private readonly sampler: ZipfSampler;
  private readonly random: () => number;
  private started = 0;
  private inFlight = 0;
  private failure: Error | undefined;
  /** Ticks acknowledged by Kafka; ticks skipped because Kafka fell behind or this process was starved of CPU. */
  published = 0;
  skipped = 0;

  constructor(private readonly options: TickGeneratorOptions) {
    this.random = seededRandom(options.seed);
    this.sampler = new ZipfSampler(options.universe.length, options.zipfExponent, this.random);
    const firstSeq = Date.now() * 1_000;
    this.symbols = options.universe.map(({ referencePriceCents }) => ({ priceCents: referencePriceCents, openCents: referencePriceCents, volume: 0, seq: firstSeq }));
  }

  async start(): Promise<void> {
    const kafka = new kafkajs.Kafka({ clientId: 'trading-core-bench-ticks', brokers: [...this.options.brokers], logLevel: kafkajs.logLevel.WARN });
    this.producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await this.producer.connect();
    this.resume();
  }

  /** Stops ticking (while connections ramp up, so handshakes do not compete with the fan-out). */
  pause(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Ticks again at the set rate, from now (no catching up on the pause). */
  resume(): void {
    if (this.timer) return;
    this.started = Date.now();
    let due = 0;
    this.timer = setInterval(() => {
      // Catch up with the clock, so a late timer does not lower the rate.
      const target = Math.floor(((Date.now() - this.started) / 1_000) * this.options.ticksPerSecond);
      const count = target - due;
      due = target;
      if (count <= 0) return;
      // A starved process does not make up for more than one batch's worth: the rest is skipped and counted.
      const sending = this.inFlight >= MAX_IN_FLIGHT ? 0 : Math.min(count, MAX_BATCH);
      this.skipped += count - sending;
      if (sending > 0) this.send(this.batch(sending));
    }, this.options.batchEveryMs ?? 10);
  }

  /** Throws the first publish failure, if any (the benchmark stops on it). */
  check(): void {
    if (this.failure) throw this.failure;
  }

  async stop(): Promise<void> {
    this.pause();
    const deadline = Date.now() + 5_000;
    while (this.inFlight > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    await this.producer?.disconnect();
  }

  private batch(count: number): Tick[] {
    const ts = new Date().toISOString();
    const ticks: Tick[] = [];
    for (let i = 0; i < count; i += 1) {
      const rank = this.sampler.next();
      const state = this.symbols[rank]!;
      // A small random walk: ±0.1 % of the price, at least a cent, never below a dollar.
      const step = Math.max(1, Math.round(state.priceCents * 0.001));
      state.priceCents = Math.max(100, state.priceCents + Math.round((this.random() * 2 - 1) * step));
      state.volume += 1 + Math.floor(this.random() * 100);
      state.seq += 1;
      const halfSpread = Math.max(1, Math.round(state.priceCents * 0.00025));
      ticks.push({
        symbol: this.options.universe[rank]!.symbol,
        seq: state.seq,
        priceCents: state.priceCents,
        bidCents: state.priceCents - halfSpread,
        askCents: state.priceCents + halfSpread,
        volume: state.volume,
        ts,
        openCents: state.openCents,
      });
    }
    return ticks;
  }

  private send(ticks: Tick[]): void {
    this.inFlight += 1;
    this.producer!.send({ topic: TICKS_TOPIC, acks: 1, messages: ticks.map((tick) => ({ key: tick.symbol, value: JSON.stringify(tick) })) })
      .then(() => (this.published += ticks.length))
      .catch((error: unknown) => (this.failure ??= error instanceof Error ? error : new Error(String(error))))
      .finally(() => (this.inFlight -= 1));
  }
}
