/**
 * Fan-out benchmark: one `trading-core fanout` process, load from a separate process, N price-socket
 * connections (default 10,000) each subscribed to 20 symbols drawn with Zipf skew from 5,000,
 * ticks at 20,000/s into Kafka. Prints deliveries per second, deliveries per server CPU-second,
 * tick-to-client latency percentiles and server RSS per connection, for our uWebSockets.js
 * fan-out and, in the same run under the same load, for the `ws` baseline (same hub: protocol and
 * conflation), then the goals as PASS/MISS. Exits non-zero only on errors.
 *
 *   npm run bench:fanout [-- --connections 10000 --seconds 15 --only uws]
 *
 * Needs Kafka and Redis (`npm run services:up`).
 */
import { randomBytes } from 'node:crypto';
import { Presets, SingleBar } from 'cli-progress';
import { Command, Option } from 'commander';
import { benchUniverse, serverUniverseSize } from './bench-universe.ts';
import type { LoadCommand, LoadEvent, LoadReport } from './fanout-load.ts';
import { comparison, printRun, type RunResult } from './fanout-report.ts';
import { decimal, finishReport, integer } from './bench-report.ts';
import { availableParallelism } from 'node:os';
import { createBenchDatabase } from './bench-database.ts';
import { startFanoutServer, type FanoutServer } from './fanout-server.ts';
import { LoadProcess } from './load-process.ts';
import { positiveNumber } from './options.ts';
import { infrastructureCpuSeconds, machineBusySeconds, machineCpuTicks, processCpuSeconds, processRssBytes } from './process-stats.ts';
import { TickGenerator } from './tick-generator.ts';

const options = new Command()
  .description('fan-out benchmark: ours (uWebSockets.js) beside the ws baseline')
  .option('--connections <n>', 'price-socket connections', positiveNumber('connections'), 10_000)
  .option('--symbols-per-connection <n>', 'distinct symbols per connection', positiveNumber('symbols-per-connection'), 20)
  .option('--universe <n>', 'symbols ticking and subscribed to', positiveNumber('universe'), 5_000)
  .option('--ticks-per-second <n>', 'ticks published into Kafka per second', positiveNumber('ticks-per-second'), 20_000)
  .option('--seconds <n>', 'measurement window', positiveNumber('seconds'), 15)
  .option('--warmup <n>', 'seconds between the end of the ramp and the window', positiveNumber('warmup'), 5)
  .option('--zipf <s>', 'Zipf exponent of ticks and subscriptions', positiveNumber('zipf'), 1.1)
  .option('--ramp-batch <n>', 'connections opened at once while ramping', positiveNumber('ramp-batch'), 500)
  .option('--sample-every <n>', 'the load JSON-parses one text frame in this many for latency', positiveNumber('sample-every'), 50)
  .addOption(new Option('--only <transport>', 'run one server only').choices(['uws', 'ws']))
  .option('--brokers <list>', 'Kafka brokers', process.env.KAFKA_BROKERS ?? '127.0.0.1:9092')
  .parse()
  .opts<{ connections: number; symbolsPerConnection: number; universe: number; ticksPerSecond: number; seconds: number; warmup: number; zipf: number; rampBatch: number; sampleEvery: number; only?: 'uws' | 'ws'; brokers: string }>();

const UNIVERSE_SEED = Number(process.env.UNIVERSE_SEED ?? 42);
const WINDOW_MS = Number(process.env.STREAM_CONFLATION_MS ?? 100);
const jwtSecret = randomBytes(32).toString('base64url');
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Everything started, so that every exit path can end it. */
const running = { servers: new Set<FanoutServer>(), loads: new Set<LoadProcess<LoadCommand, LoadEvent>>(), generator: undefined as TickGenerator | undefined, database: undefined as Awaited<ReturnType<typeof createBenchDatabase>> | undefined };

function killEverything(): void {
  for (const load of running.loads) load.kill();
  for (const server of running.servers) server.kill();
}

type FanoutLoad = LoadProcess<LoadCommand, LoadEvent>;

function startLoad(server: FanoutServer): FanoutLoad {
  const load = new LoadProcess<LoadCommand, LoadEvent>(
    'scripts/bench/fanout-load.ts',
    [
      ['--ports', server.streamPort],
      ['--connections', options.connections],
      ['--symbols-per-connection', options.symbolsPerConnection],
      ['--universe', options.universe],
      ['--universe-seed', UNIVERSE_SEED],
      ['--zipf', options.zipf],
      ['--ramp-batch', options.rampBatch],
      ['--sample-every', options.sampleEvery],
    ].flatMap(([flag, value]) => [String(flag), String(value)]),
    { BENCH_JWT_SECRET: jwtSecret },
  );
  running.loads.add(load);
  load.child.once('exit', () => running.loads.delete(load));
  return load;
}

async function rampWithProgress(load: FanoutLoad, server: FanoutServer): Promise<Extract<LoadEvent, { type: 'ramped' }>> {
  const bar = new SingleBar({ format: `  ramping connections {bar} {value}/{total} open | pass {pass}, failed {failed}`, hideCursor: true }, Presets.shades_classic);
  bar.start(options.connections, 0, { failed: 0, pass: 1 });
  const onProgress = (event: LoadEvent) => {
    if (event.type === 'progress') bar.update(event.opened, { failed: event.failed, pass: event.pass });
  };
  load.child.on('message', onProgress);
  const timeoutMs = 120_000 + options.connections * 60;
  let ramping = true;
  try {
    const ramped = await Promise.race([
      load.next('ramped', timeoutMs),
      (async (): Promise<never> => {
        // A server that dies while connections open fails the run at once, with its output.
        while (ramping) {
          await pause(500);
          if (ramping) server.check();
        }
        return new Promise<never>(() => undefined);
      })(),
    ]);
    bar.update(ramped.opened, { failed: ramped.failed });
    return ramped;
  } finally {
    ramping = false;
    bar.stop();
    load.child.off('message', onProgress);
  }
}

async function measure(transport: 'uws' | 'ws'): Promise<RunResult> {
  console.log(`\n[${transport}] starting the fanout server (FANOUT_TRANSPORT=${transport})`);
  // The fan-out reads API keys (the Alpaca streams) from the read models: the run gets a database of its own.
  running.database ??= await createBenchDatabase('fanout');
  const server = await startFanoutServer({ transport, jwtSecret, brokers: options.brokers, universeSize: serverUniverseSize(options.universe), universeSeed: UNIVERSE_SEED, env: { DATABASE_URL: running.database.appUrl } });
  running.servers.add(server);
  if (!running.generator) {
    // The first server created the topics; ticks flow from here to the end of the run.
    running.generator = new TickGenerator({ brokers: options.brokers.split(','), universe: benchUniverse(options.universe, UNIVERSE_SEED), ticksPerSecond: options.ticksPerSecond, zipfExponent: options.zipf, seed: 7 });
    await running.generator.start();
    console.log(`  publishing ${options.ticksPerSecond.toLocaleString('en-US')} ticks/s over ${options.universe.toLocaleString('en-US')} symbols into market.ticks`);
  }
  const generator = running.generator;
  // The server follows the live ticks (its heap settles) before the baseline RSS is read; its CPU
  // meanwhile is the fixed cost of taking in the ticks, with no connection to serve.
  const intakeStart = { cpu: processCpuSeconds(server.pid), at: performance.now() };
  await pause(5_000);
  server.check();
  generator.check();
  const rssBeforeBytes = processRssBytes(server.pid);
  const intakeCpuFraction = (processCpuSeconds(server.pid) - intakeStart.cpu) / ((performance.now() - intakeStart.at) / 1_000);

  // Ticks pause while the connections ramp up: both servers get all N connections, whatever their speed under load.
  generator.pause();
  const load = startLoad(server);
  const ramped = await rampWithProgress(load, server);
  await pause(1_000);
  const rssIdleBytes = processRssBytes(server.pid);
  generator.resume();
  console.log(`  ${ramped.opened.toLocaleString('en-US')} connections open, ${ramped.receiving.toLocaleString('en-US')} receiving${ramped.failed ? `, ${ramped.failed} failed (first: ${ramped.firstError})` : ''}`);
  if (ramped.opened === 0) throw new Error(`no connection could be opened: ${ramped.firstError}`);
  await pause(options.warmup * 1_000);
  server.check();
  generator.check();

  // This scrape also restarts the server's event-loop-lag histogram: the one after the window covers the window.
  const metrics0 = await server.metrics();
  const kafkaCpu = () => infrastructureCpuSeconds().get('kafka') ?? Number.NaN;
  const benchCpu = () => (process.cpuUsage().user + process.cpuUsage().system) / 1e6;
  const start = { cpu: processCpuSeconds(server.pid), machine: machineCpuTicks(), busy: machineBusySeconds(), kafka: kafkaCpu(), bench: benchCpu(), ticks: generator.published, skipped: generator.skipped };
  load.command({ type: 'measure-start' });
  const bar = new SingleBar({ format: `  measuring {bar} {value}/{total} s`, hideCursor: true }, Presets.shades_classic);
  bar.start(options.seconds, 0);
  // RSS is sampled every second of the window and its high-water mark kept: one reading at the end
  // lands wherever the collector happens to be.
  let peakRss = 0;
  for (let second = 1; second <= options.seconds; second += 1) {
    await pause(1_000);
    bar.update(second);
    server.check();
    peakRss = Math.max(peakRss, processRssBytes(server.pid));
  }
  load.command({ type: 'measure-stop' });
  const end = { cpu: processCpuSeconds(server.pid), machine: machineCpuTicks(), busy: machineBusySeconds(), kafka: kafkaCpu(), bench: benchCpu(), ticks: generator.published, skipped: generator.skipped, rss: Math.max(peakRss, processRssBytes(server.pid)) };
  bar.stop();
  const report: LoadReport = (await load.next('report', 30_000)).report;
  const metrics1 = await server.metrics();
  generator.check();

  await load.close({ type: 'exit' });
  await server.stop();
  running.servers.delete(server);

  const delta = (name: string) => {
    const [before, after] = [metrics0.get(name), metrics1.get(name)];
    return after === undefined || before === undefined ? undefined : after - before;
  };
  return {
    transport,
    connectionsAsked: options.connections,
    connectionsOpened: ramped.opened,
    connectionsFailed: ramped.failed,
    connectionsOpenAtEnd: report.openConnections,
    seconds: report.seconds,
    deliveries: report.deliveries,
    serverCpuSeconds: end.cpu - start.cpu,
    latencyMs: report.latencyMs,
    rssBeforeBytes,
    rssIdleBytes,
    rssAfterBytes: end.rss,
    intakeCpuFraction,
    ticksPublished: end.ticks - start.ticks,
    ticksSkipped: end.skipped - start.skipped,
    snapshots: report.snapshots,
    errorMessages: report.errorMessages,
    frames: report.frames,
    bytes: report.bytes,
    loadCpuSeconds: report.loadCpuSeconds,
    machineBusyFraction: (end.machine.busy - start.machine.busy) / Math.max(1, end.machine.total - start.machine.total),
    machineBusySeconds: end.busy - start.busy,
    kafkaCpuSeconds: end.kafka - start.kafka,
    generatorCpuSeconds: end.bench - start.bench,
    closes: report.closes,
    fellBehind: delta('fanout_fell_behind_total'),
    slowClosed: delta('fanout_slow_closed_total'),
    heapUsedBytes: [metrics0.get('nodejs_heap_size_used_bytes'), metrics1.get('nodejs_heap_size_used_bytes')],
    maxBufferedBytes: metrics1.get('fanout_max_buffered_bytes'),
    eventLoopLagP99Seconds: metrics1.get('nodejs_eventloop_lag_p99_seconds'),
  };
}

async function main(): Promise<void> {
  console.log(
    `fan-out benchmark: ${options.connections.toLocaleString('en-US')} connections × ${options.symbolsPerConnection} symbols (Zipf s=${options.zipf} over ${options.universe.toLocaleString('en-US')}), ` +
      `${options.ticksPerSecond.toLocaleString('en-US')} ticks/s, ${options.warmup} s warm-up, ${options.seconds} s window, conflation window ${WINDOW_MS} ms`,
  );
  const transports = options.only ? [options.only] : (['uws', 'ws'] as const);
  const results = new Map<'uws' | 'ws', RunResult>();
  for (const transport of transports) {
    const result = await measure(transport);
    results.set(transport, result);
    printRun(result);
  }
  const ours = results.get('uws');
  const { tables, goals } = comparison(ours, results.get('ws'), WINDOW_MS);
  const reference = ours ?? results.get('ws')!;
  finishReport({
    name: 'fanout',
    title: 'Price fan-out (bench:fanout)',
    tables,
    goals,
    limits: [
      `one fan-out process serves ${integer(reference.connectionsOpened)} sockets on a machine of ${availableParallelism()} cores shared with the load process, the tick generator and Kafka; the server used ${decimal(reference.serverCpuSeconds / reference.seconds, 2)} cores, ${decimal(reference.intakeCpuFraction, 2)} of them to take in the ticks with no client`,
      'latency counts from the tick generator’s timestamp: Kafka, the conflation window, the send and the load process’s own reading are all in it',
    ],
    problems: [...results.values()].flatMap((run) => (run.connectionsFailed > 0 ? [`${run.transport}: ${integer(run.connectionsFailed)} connections could not be opened`] : [])),
  });
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killEverything();
    process.exit(130);
  });
}

main()
  .then(async () => {
    await running.generator?.stop();
    await running.database?.drop();
    process.exit(process.exitCode ?? 0);
  })
  .catch(async (error: unknown) => {
    process.stderr.write(`\nbench:fanout failed: ${error instanceof Error ? error.message : String(error)}\n`);
    for (const load of running.loads) load.kill();
    // A server stopped gracefully leaves its Kafka consumer group; one that hangs is killed.
    await Promise.all([...running.servers].map((server) => server.stop(5_000)));
    await running.generator?.stop().catch(() => undefined);
    await running.database?.drop().catch(() => undefined);
    process.exit(1);
  });
