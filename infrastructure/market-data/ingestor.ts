import { Counter, type Registry } from 'prom-client';
import WebSocket from 'ws';
import { z } from 'zod';
import type { LatestQuotes, Tick, TickLog } from '../../application/market/market-data.ts';
import type { Logger } from '../logging/logger.ts';

const exchangeTick = z.object({
  symbol: z.string().regex(/^[A-Z][A-Z0-9.]{0,9}$/),
  priceCents: z.number().int().positive(),
  bidCents: z.number().int().positive(),
  askCents: z.number().int().positive(),
  volume: z.number().int().min(0),
  ts: z.string(),
});

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
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private reconnects = 0;
  private readonly ticks: Counter | undefined;

  constructor(private readonly options: IngestorOptions) {
    if (options.metrics) this.ticks = new Counter({ name: 'ingestor_ticks_total', help: 'Ticks published to the tick log', registers: [options.metrics] });
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
    this.flush();
    await this.flushing;
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
      let raw: unknown;
      try {
        raw = JSON.parse(data.toString());
      } catch {
        return;
      }
      const parsed = exchangeTick.safeParse(raw);
      if (!parsed.success) return;
      this.lastMessageAt = Date.now();
      this.staleMarked = false;
      const { symbol, priceCents } = parsed.data;
      const seq = (this.sequences.get(symbol) ?? 0) + 1;
      this.sequences.set(symbol, seq);
      const openCents = this.opens.get(symbol) ?? priceCents;
      this.opens.set(symbol, openCents);
      this.pending.push({ ...parsed.data, seq, openCents });
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

  private flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.flushing = this.flushing.then(async () => {
      try {
        await this.options.tickLog.publish(batch);
        await this.options.latest.put(batch);
        this.ticks?.inc(batch.length);
      } catch (error) {
        // Kafka refused the batch: the sequence numbers stay used; clients see a gap, never a repeat.
        this.options.logger.error({ err: error, ticks: batch.length }, 'tick batch not published');
      }
    });
  }
}
