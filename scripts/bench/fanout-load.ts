/**
 * The load side of the fan-out benchmark, run as its own process by scripts/bench/fanout.ts (so
 * its CPU is not the server's): opens N price-socket connections on the raw WebSocket client,
 * each authenticated and subscribed to its Zipf-drawn symbols, counts every frame, and takes the
 * tick-to-client latency of a sample of them. It talks to the parent over IPC (LoadEvent out,
 * LoadCommand in).
 */
import { randomUUID } from 'node:crypto';
import { Command } from 'commander';
import { seededRandom } from '../../domain/shared/seeded-random.ts';
import { signToken } from '../../infrastructure/http/tokens.ts';
import { benchUniverse } from './bench-universe.ts';
import { OPCODE, RawWebSocket } from './raw-ws-client.ts';
import { ZipfSampler } from './zipf.ts';
import { summarize, type LatencySummary } from './latency.ts';

export type LoadCommand = { type: 'measure-start' } | { type: 'measure-stop' } | { type: 'exit' };

export type { LatencySummary };

export interface LoadReport {
  /** Quote entries received in the window. */
  readonly deliveries: number;
  readonly frames: number;
  readonly bytes: number;
  readonly snapshots: number;
  readonly staleNotices: number;
  readonly errorMessages: number;
  readonly seconds: number;
  readonly latencyMs: LatencySummary;
  /** CPU seconds the load process used in the window. */
  readonly loadCpuSeconds: number;
  readonly openConnections: number;
  /** Close codes seen since the ramp began, with their counts. */
  readonly closes: Record<string, number>;
}

export type LoadEvent =
  /** `failed`: connections that failed in this pass (they are tried again in the next, up to 3). */
  | { type: 'progress'; opened: number; failed: number; pass: number }
  | { type: 'ramped'; opened: number; failed: number; receiving: number; firstError: string | undefined }
  | { type: 'report'; report: LoadReport };

const options = new Command()
  .requiredOption('--ports <list>', 'price socket ports (connections are spread over them in turn)')
  .option('--host <host>', 'price socket host', '127.0.0.1')
  .option('--connections <n>', 'connections to open', '10000')
  .option('--symbols-per-connection <n>', 'distinct symbols each connection subscribes to', '20')
  .option('--universe <n>', 'symbols to draw from', '5000')
  .option('--universe-seed <n>', 'the server universe seed (UNIVERSE_SEED)', '42')
  .option('--zipf <s>', 'Zipf exponent of the subscriptions', '1.1')
  .option('--seed <n>', 'seed of the subscription draw (same seed, same load)', '1')
  .option('--ramp-batch <n>', 'connections opened at once', '500')
  .option('--sample-every <n>', 'JSON-parse one text frame in this many for latency', '50')
  .parse()
  .opts<{ ports: string; host: string; connections: string; symbolsPerConnection: string; universe: string; universeSeed: string; zipf: string; seed: string; rampBatch: string; sampleEvery: string }>();

const secret = process.env.BENCH_JWT_SECRET;
if (!secret) throw new Error('BENCH_JWT_SECRET is required');
const send = (event: LoadEvent) => process.send?.(event);

/**
 * Above this payload size a quotes frame is parsed for its entry count. With the benchmark's
 * symbols and fields a one-entry frame is under 200 bytes and a frame of two entries over 300
 * (catch-up frames after a connection fell behind carry several), so shorter frames count as one.
 */
const MULTI_ENTRY_BYTES = 250;
/** The payload bytes 9 and 10 of `{"type":"…"`: which message a frame is, without parsing it. */
const PEEK = { quotes: 0x7175, snapshot: 0x736e, stale: 0x7374, error: 0x6572 } as const;
const ENTRY_START = Buffer.from('{"symbol":');

const counters = { deliveries: 0, frames: 0, bytes: 0, snapshots: 0, staleNotices: 0, errorMessages: 0 };
const closes = new Map<number, number>();
let latencies: number[] = [];
let measuring = false;
let textFrames = 0;
let receiving = 0;
let openConnections = 0;
const sampleEvery = Number(options.sampleEvery);

function countEntries(payload: Buffer): number {
  let entries = 0;
  for (let at = payload.indexOf(ENTRY_START); at >= 0; at = payload.indexOf(ENTRY_START, at + ENTRY_START.length)) entries += 1;
  return entries;
}

function recordLatency(payload: Buffer, receivedAt: number): void {
  const message = JSON.parse(payload.toString('utf8')) as { data?: Array<{ ts: string }> };
  for (const entry of message.data ?? []) latencies.push(receivedAt - Date.parse(entry.ts));
}

async function openConnection(symbols: readonly string[], token: string, port: number): Promise<RawWebSocket> {
  let sampled = false;
  let received = false;
  const socket = await RawWebSocket.open({
    host: options.host,
    port,
    path: '/v1/stream',
    // A saturated server answers handshakes late: the ramp waits for it rather than measuring fewer connections.
    timeoutMs: 30_000,
    capture: (opcode, length) => {
      sampled = opcode === OPCODE.text && (textFrames += 1) % sampleEvery === 0;
      return sampled || length > MULTI_ENTRY_BYTES;
    },
    onFrame: (opcode, length, peek, payload) => {
      if (opcode !== OPCODE.text) return;
      if (!received) {
        received = true;
        receiving += 1;
      }
      counters.frames += 1;
      counters.bytes += length;
      if (peek === PEEK.quotes) {
        counters.deliveries += length > MULTI_ENTRY_BYTES ? countEntries(payload!) : 1;
        if (sampled && measuring) recordLatency(payload!, Date.now());
      } else if (peek === PEEK.snapshot) counters.snapshots += 1;
      else if (peek === PEEK.stale) counters.staleNotices += 1;
      else if (peek === PEEK.error) counters.errorMessages += 1;
    },
    onClose: (code) => {
      openConnections -= 1;
      closes.set(code, (closes.get(code) ?? 0) + 1);
    },
  });
  openConnections += 1;
  socket.sendText(JSON.stringify({ op: 'auth', token }));
  socket.sendText(JSON.stringify({ op: 'subscribe', symbols }));
  return socket;
}

async function main(): Promise<void> {
  const connections = Number(options.connections);
  const universe = benchUniverse(Number(options.universe), Number(options.universeSeed)).map(({ symbol }) => symbol);
  const sampler = new ZipfSampler(universe.length, Number(options.zipf), seededRandom(Number(options.seed)));
  const ports = options.ports.split(',').map(Number);
  const plans = Array.from({ length: connections }, (_, index) => ({
    port: ports[index % ports.length]!,
    symbols: sampler.distinct(Number(options.symbolsPerConnection)).map((rank) => universe[rank]!),
    token: signToken(secret!, { accountId: randomUUID(), role: 'trader', ttlSeconds: 3_600 }),
  }));

  const sockets: RawWebSocket[] = [];
  let firstError: string | undefined;
  const batch = Number(options.rampBatch);
  // Connections that fail are tried again in a second and third pass.
  let pending = plans;
  for (let pass = 1; pass <= 3 && pending.length > 0; pass += 1) {
    const failedPlans: typeof plans = [];
    for (let start = 0; start < pending.length; start += batch) {
      const slice = pending.slice(start, start + batch);
      const results = await Promise.allSettled(slice.map((plan) => openConnection(plan.symbols, plan.token, plan.port)));
      results.forEach((result, index) => {
        if (result.status === 'fulfilled') sockets.push(result.value);
        else {
          failedPlans.push(slice[index]!);
          firstError ??= result.reason instanceof Error ? result.reason.message : String(result.reason);
        }
      });
      send({ type: 'progress', opened: sockets.length, failed: failedPlans.length, pass });
    }
    pending = failedPlans;
  }
  const failed = pending.length;
  // Every connection subscribed to hot symbols gets snapshots at once: wait for them (bounded).
  const deadline = Date.now() + 10_000;
  while (receiving < openConnections && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  send({ type: 'ramped', opened: sockets.length, failed, receiving, firstError });

  let started = { at: 0, cpu: process.cpuUsage(), counters: { ...counters } };
  process.on('message', (command: LoadCommand) => {
    if (command.type === 'measure-start') {
      latencies = [];
      measuring = true;
      started = { at: performance.now(), cpu: process.cpuUsage(), counters: { ...counters } };
    } else if (command.type === 'measure-stop') {
      measuring = false;
      const seconds = (performance.now() - started.at) / 1_000;
      const cpu = process.cpuUsage(started.cpu);
      send({
        type: 'report',
        report: {
          deliveries: counters.deliveries - started.counters.deliveries,
          frames: counters.frames - started.counters.frames,
          bytes: counters.bytes - started.counters.bytes,
          snapshots: counters.snapshots - started.counters.snapshots,
          staleNotices: counters.staleNotices - started.counters.staleNotices,
          errorMessages: counters.errorMessages - started.counters.errorMessages,
          seconds,
          latencyMs: summarize(latencies),
          loadCpuSeconds: (cpu.user + cpu.system) / 1e6,
          openConnections,
          closes: Object.fromEntries(closes),
        },
      });
    } else if (command.type === 'exit') {
      for (const socket of sockets) socket.close();
      setTimeout(() => process.exit(0), 200);
    }
  });
}

// The parent gone means the benchmark is over: never outlive it.
process.on('disconnect', () => process.exit(0));
main().catch((error: unknown) => {
  process.stderr.write(`fanout-load: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
