import { Counter, type Registry } from 'prom-client';
import WebSocket from 'ws';
import { newestPerSymbol, type LatestQuotes, type Tick, type TickLog } from '../../application/market/market-data.ts';
import type { Logger } from '../logging/logger.ts';
import { decodeTickFrame, type ExchangeTick } from '../../gateways/exchange/wire/tick-frame.ts';


export interface IngestorOptions {
  /** ws:// URL of the exchange's tick feed. */
  readonly feedUrl: string;
  readonly tickLog: TickLog;
  readonly latest: LatestQuotes;
  readonly logger: Logger;
  readonly metrics?: Registry;
  /** Longest a tick waits to be published with others. */
  readonly flushMs?: number;
  /**
   * Added to the last sequence found at start: ticks published but not yet recorded in the
   * compacted topic when a previous run died cannot be numbered twice.
   */
  readonly restartGap?: number;
  /** How long the feed may be silent (or down) before every symbol it carried is marked stale. */
  readonly staleAfterMs?: number;
}

/** Ticks per publish at most: far below what Kafka takes in one request, however far behind. */
const MAX_BATCH = 5_000;

/**
 * The `ingestor`: the one connection to the exchange's tick feed. It normalises each tick,
 * stamps a per-symbol sequence number that never goes back (across restarts too: it resumes
 * above what the tick log holds), publishes batches to the tick log and then the latest quotes.
 */
export class Ingestor {
  private readonly sequences = new Map<string, number>();
  private readonly opens = new Map<string, number>();
  private lastMessageAt = Date.now();
  private staleMarked = false;
  private staleTimer: NodeJS.Timeout | undefined;
  private pending: Tick[] = [];
  private socket: WebSocket | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private publishing = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private reconnects = 0;
  private readonly ticks: Counter | undefined;
  private readonly received: Counter | undefined;

  constructor(private readonly options: IngestorOptions) {
    if (options.metrics) {
      this.ticks = new Counter({ name: 'ingestor_ticks_total', help: 'Ticks published to the tick log', registers: [options.metrics] });
      this.received = new Counter({ name: 'ingestor_ticks_received_total', help: 'Well-formed ticks received from the exchange feed', registers: [options.metrics] });
    }
  }

  async start(): Promise<void> {
    const gap = this.options.restartGap ?? 1_000;
    for (const [symbol, tick] of await this.options.tickLog.lastTicks()) {
      this.sequences.set(symbol, tick.seq + gap);
      if (tick.openCents !== undefined) this.opens.set(symbol, tick.openCents);
    }
    this.timer = setInterval(() => this.flush(), this.options.flushMs ?? 10);
    const staleAfterMs = this.options.staleAfterMs ?? 3_000;
    this.staleTimer = setInterval(() => {
      if (!this.staleMarked && Date.now() - this.lastMessageAt > staleAfterMs) this.markAllStale();
    }, Math.min(1_000, staleAfterMs / 2));
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearInterval(this.staleTimer);
    this.socket?.terminate();
    // What has arrived is published before the process goes.
    do {
      this.flush();
      await this.flushing;
    } while (this.pending.length > 0 || this.publishing);
  }

  private connect(): void {
    if (this.stopped) return;
    const socket = new WebSocket(this.options.feedUrl);
    this.socket = socket;
    socket.on('open', () => {
      this.reconnects = 0;
      this.options.logger.info({ feed: this.options.feedUrl }, 'tick feed connected');
    });
    socket.on('message', (data) => {
      const ticks = decodeTickFrame(data.toString());
      if (ticks.length === 0) return;
      this.received?.inc(ticks.length);
      this.lastMessageAt = Date.now();
      this.staleMarked = false;
      for (const tick of ticks) this.accept(tick);
    });
    socket.on('close', () => {
      if (this.stopped) return;
      const delay = Math.random() * Math.min(5_000, 100 * 2 ** this.reconnects++);
      setTimeout(() => this.connect(), delay).unref();
    });
    socket.on('error', (error) => this.options.logger.warn({ err: error }, 'tick feed problem'));
  }

  /** The feed went quiet: what was published stands, and every symbol it carried is stale. */
  private markAllStale(): void {
    this.staleMarked = true;
    this.flush();
    const symbols = [...this.sequences.keys()];
    this.options.logger.warn({ symbols: symbols.length }, 'tick feed silent: marking its symbols stale');
    this.flushing = this.flushing.then(() =>
      this.options.tickLog.markStale(symbols, new Date().toISOString()).catch((error: unknown) => this.options.logger.error({ err: error }, 'stale markers not published')),
    );
  }

  /** Numbers a tick in its symbol's sequence and stamps the session's opening price. */
  private accept(tick: ExchangeTick): void {
    const seq = (this.sequences.get(tick.symbol) ?? 0) + 1;
    this.sequences.set(tick.symbol, seq);
    let openCents = this.opens.get(tick.symbol);
    if (openCents === undefined) this.opens.set(tick.symbol, (openCents = tick.priceCents));
    this.pending.push({ symbol: tick.symbol, seq, priceCents: tick.priceCents, bidCents: tick.bidCents, askCents: tick.askCents, volume: tick.volume, ts: tick.ts, openCents });
  }

  /**
   * Publishes what has arrived, one batch at a time: ticks that arrive while a batch is out wait
   * and leave together in the next one, so batches grow with the load instead of queueing.
   */
  private flush(): void {
    if (this.pending.length === 0 || this.publishing) return;
    const batch = this.pending.length <= MAX_BATCH ? this.pending : this.pending.slice(0, MAX_BATCH);
    this.pending = batch === this.pending ? [] : this.pending.slice(MAX_BATCH);
    this.publishing = true;
    this.flushing = this.flushing.then(async () => {
      try {
        await this.options.tickLog.publish(batch);
        // Only each symbol's newest tick of the batch matters to the latest quotes.
        await this.options.latest.put(newestPerSymbol(batch));
        this.ticks?.inc(batch.length);
      } catch (error) {
        // Kafka refused the batch: the sequence numbers stay used; clients see a gap, never a repeat.
        this.options.logger.error({ err: error, ticks: batch.length }, 'tick batch not published');
      } finally {
        this.publishing = false;
      }
      if (this.pending.length > 0) this.flush();
    });
  }
}
