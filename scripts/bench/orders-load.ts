/**
 * The load side of the order benchmark, run as its own process by scripts/bench/orders.ts (so its
 * CPU is not the API's): places orders through the HTTP API, open-loop at a set rate or
 * closed-loop at a set concurrency, and times each acknowledgement and the moment the read
 * models have applied it. It talks to the parent over IPC (OrdersLoadCommand in, OrdersLoadEvent
 * out).
 *
 * Open loop: order i is due at start + i / rate whether or not earlier ones were answered, and its
 * latency counts from when it was due, so a stall shows as latency instead of hiding as fewer
 * requests (no coordinated omission). Closed loop: `concurrency` senders, each waiting for its
 * answer before sending the next.
 *
 * Visibility: every accepted order's `X-Position` is compared with the read models' checkpoint
 * (`projection_checkpoints`, what `X-Min-Position` waits on), polled every few milliseconds.
 */
import pg from 'pg';
import { Pool } from 'undici';
import { ALL_PROJECTIONS } from '../../projections/all-projections.ts';
import { seededRandom } from '../../domain/shared/seeded-random.ts';
import { summarize, type LatencySummary } from './latency.ts';
import { ZipfSampler } from './zipf.ts';

export interface OrdersLoadSetup {
  readonly apiUrl: string;
  /** Read access to the run's database, for the checkpoint. */
  readonly databaseUrl: string;
  readonly tokens: readonly string[];
  /** Symbols to trade, hottest first, with their reference prices. */
  readonly symbols: ReadonlyArray<{ symbol: string; referencePriceCents: number }>;
  /** Share of market buys; the rest are limit buys far below the market that rest on the book. */
  readonly marketShare: number;
  readonly connections: number;
}

export type PhaseSpec =
  | { readonly name: string; readonly mode: 'open'; readonly rate: number; readonly seconds: number }
  | { readonly name: string; readonly mode: 'closed'; readonly concurrency: number; readonly seconds: number };

export interface PhaseResult {
  readonly spec: PhaseSpec;
  /** Wall time from the first order to the last answer. */
  readonly seconds: number;
  readonly sent: number;
  readonly accepted: number;
  /** Not sent: the open loop had this many orders unanswered already (it never queues without bound). */
  readonly skipped: number;
  /** Answers other than 201, by `status code`, and transport errors. */
  readonly failures: Record<string, number>;
  readonly firstFailure: string | undefined;
  readonly ackMs: LatencySummary;
  readonly visibleMs: LatencySummary;
  /** Accepted orders the read models had not applied 15 s after the phase. */
  readonly unseen: number;
  readonly loadCpuSeconds: number;
}

/** `stop` ends the running phase early (it reports what it did until then). */
export type OrdersLoadCommand = { type: 'setup'; setup: OrdersLoadSetup } | { type: 'run'; phase: PhaseSpec } | { type: 'stop' } | { type: 'exit' };
export type OrdersLoadEvent = { type: 'ready' } | { type: 'progress'; sent: number; accepted: number; failed: number } | { type: 'phase'; result: PhaseResult } | { type: 'failed'; message: string };

/** Unanswered orders past which the open loop skips instead of sending (and says so). */
const MAX_OUTSTANDING = 5_000;
const CHECKPOINT_POLL_MS = 5;
const VISIBILITY_TIMEOUT_MS = 15_000;

const send = (event: OrdersLoadEvent) => process.send?.(event);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Awaiting {
  readonly position: bigint;
  readonly ackedAt: number;
}

/** Times how long after its acknowledgement each position is applied by every read model. */
class VisibilityWatcher {
  private awaiting: Awaiting[] = [];
  private latencies: number[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(private readonly client: pg.Client) {
    this.loop = this.poll();
  }

  expect(position: bigint, ackedAt: number): void {
    this.awaiting.push({ position, ackedAt });
  }

  get outstanding(): number {
    return this.awaiting.length;
  }

  /** The latencies seen since the last take, and how many acknowledged positions are still not applied. */
  take(): { latencies: number[]; unseen: number } {
    const taken = { latencies: this.latencies, unseen: this.awaiting.length };
    this.latencies = [];
    this.awaiting = [];
    return taken;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async poll(): Promise<void> {
    const names = ALL_PROJECTIONS.map((projection) => projection.name);
    while (this.running) {
      const { rows } = await this.client.query<{ position: string | null; known: string }>(
        'SELECT min(position)::text AS position, count(*)::text AS known FROM projection_checkpoints WHERE projection = ANY($1)',
        [names],
      );
      const seenAt = performance.now();
      const row = rows[0];
      if (row?.position && Number(row.known) === names.length && this.awaiting.length > 0) {
        const applied = BigInt(row.position);
        const still: Awaiting[] = [];
        for (const entry of this.awaiting) {
          if (entry.position <= applied) this.latencies.push(Math.max(0, seenAt - entry.ackedAt));
          else still.push(entry);
        }
        this.awaiting = still;
      }
      await pause(CHECKPOINT_POLL_MS);
    }
  }
}

class OrderLoad {
  private readonly pool: Pool;
  private readonly zipf: ZipfSampler;
  private readonly random = seededRandom(11);
  private counter = 0;
  /** Set by a `stop` command: the running phase sends nothing more. */
  stopped = false;

  constructor(
    private readonly setup: OrdersLoadSetup,
    private readonly watcher: VisibilityWatcher,
  ) {
    this.pool = new Pool(setup.apiUrl, { connections: setup.connections, pipelining: 1, keepAliveTimeout: 60_000 });
    this.zipf = new ZipfSampler(setup.symbols.length, 1, this.random);
  }

  private nextOrder(): { token: string; body: string } {
    const index = this.counter++;
    const token = this.setup.tokens[index % this.setup.tokens.length]!;
    const { symbol, referencePriceCents } = this.setup.symbols[this.zipf.next()]!;
    const market = this.random() < this.setup.marketShare;
    const body = market
      ? { clientOrderId: `bench-${index}`, symbol, side: 'buy', type: 'market', qty: 1 }
      : { clientOrderId: `bench-${index}`, symbol, side: 'buy', type: 'limit', qty: 1, limitPriceCents: Math.max(1, Math.floor(referencePriceCents / 2)), timeInForce: 'gtc' };
    return { token, body: JSON.stringify(body) };
  }

  async run(spec: PhaseSpec): Promise<PhaseResult> {
    this.stopped = false;
    const acks: number[] = [];
    const failures = new Map<string, number>();
    let firstFailure: string | undefined;
    let sent = 0;
    let accepted = 0;
    let skipped = 0;
    let outstanding = 0;
    const cpuBefore = process.cpuUsage();
    const startedAt = performance.now();
    const progress = setInterval(() => send({ type: 'progress', sent, accepted, failed: sent - accepted - outstanding }), 1_000);

    const place = async (dueAt: number): Promise<void> => {
      const { token, body } = this.nextOrder();
      sent += 1;
      outstanding += 1;
      try {
        const response = await this.pool.request({ method: 'POST', path: '/v1/orders', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
        const text = await response.body.text();
        const answeredAt = performance.now();
        if (response.statusCode === 201) {
          accepted += 1;
          acks.push(answeredAt - dueAt);
          const position = response.headers['x-position'];
          if (typeof position === 'string') this.watcher.expect(BigInt(position), answeredAt);
        } else {
          const code = /"code":"([a-z_]+)"/.exec(text)?.[1] ?? '';
          const key = `${response.statusCode} ${code}`.trim();
          failures.set(key, (failures.get(key) ?? 0) + 1);
          firstFailure ??= `${response.statusCode}: ${text.slice(0, 300)}`;
        }
      } catch (error) {
        const key = error instanceof Error ? error.name : 'error';
        failures.set(key, (failures.get(key) ?? 0) + 1);
        firstFailure ??= error instanceof Error ? error.message : String(error);
      } finally {
        outstanding -= 1;
      }
    };

    const inFlight = new Set<Promise<void>>();
    const track = (promise: Promise<void>) => {
      inFlight.add(promise);
      void promise.finally(() => inFlight.delete(promise));
    };
    if (spec.mode === 'open') {
      const total = Math.round(spec.rate * spec.seconds);
      const interval = 1_000 / spec.rate;
      for (let next = 0; next < total && !this.stopped; ) {
        const due = Math.min(total, Math.floor((performance.now() - startedAt) / interval) + 1);
        for (; next < due; next += 1) {
          if (outstanding >= MAX_OUTSTANDING) skipped += 1;
          else track(place(startedAt + next * interval));
        }
        await pause(1);
      }
    } else {
      const deadline = startedAt + spec.seconds * 1_000;
      const sender = async () => {
        while (performance.now() < deadline && !this.stopped) await place(performance.now());
      };
      track(Promise.all(Array.from({ length: spec.concurrency }, sender)).then(() => undefined));
    }
    while (inFlight.size > 0) await Promise.all([...inFlight]);
    const seconds = (performance.now() - startedAt) / 1_000;
    clearInterval(progress);

    const visibleBy = performance.now() + VISIBILITY_TIMEOUT_MS;
    while (this.watcher.outstanding > 0 && performance.now() < visibleBy) await pause(20);
    const visibility = this.watcher.take();
    const cpu = process.cpuUsage(cpuBefore);
    return {
      spec,
      seconds,
      sent,
      accepted,
      skipped,
      failures: Object.fromEntries(failures),
      firstFailure,
      ackMs: summarize(acks),
      visibleMs: summarize(visibility.latencies),
      unseen: visibility.unseen,
      loadCpuSeconds: (cpu.user + cpu.system) / 1e6,
    };
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

let load: OrderLoad | undefined;
let watcher: VisibilityWatcher | undefined;
let client: pg.Client | undefined;

async function handle(command: OrdersLoadCommand): Promise<void> {
  if (command.type === 'setup') {
    client = new pg.Client({ connectionString: command.setup.databaseUrl, application_name: 'trading-core-bench-watcher' });
    await client.connect();
    watcher = new VisibilityWatcher(client);
    load = new OrderLoad(command.setup, watcher);
    send({ type: 'ready' });
  } else if (command.type === 'run') {
    send({ type: 'phase', result: await load!.run(command.phase) });
  } else if (command.type === 'stop') {
    if (load) load.stopped = true;
  } else {
    await load?.close();
    await watcher?.stop();
    await client?.end();
    process.exit(0);
  }
}

process.on('message', (command: OrdersLoadCommand) => {
  handle(command).catch((error: unknown) => {
    send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    process.exit(1);
  });
});
// The parent gone means the benchmark is over: never outlive it.
process.on('disconnect', () => process.exit(0));
