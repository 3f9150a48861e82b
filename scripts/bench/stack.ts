/**
 * Whole-stack benchmark: the seed's scenario scaled to this machine. The local distributed mode
 * with every component its own process — the simulator ticking 5,000 symbols with Zipf popularity
 * at the highest rate the ingestor sustains, the ingestor, Kafka, two `fanout` instances serving
 * 10,000 price-socket clients between them (a separate load process), `candles`, and the order
 * path (`api`, `worker`, `projector`) under a steady open-loop order flow from another process.
 * Reports tick-to-client latency (exchange timestamp to client receipt), order acknowledgement
 * latency and CPU by component.
 *
 *   npm run bench:stack [-- --connections 10000 --ticks-per-second 30000 --order-rate 100 --seconds 30]
 *
 * The tick rate, when not given, is the highest this stack's ingestor keeps up with while the
 * clients are connected and orders flow (a ramp before the measured window).
 * Exits non-zero only when the run broke (orders refused or lost, connections that could not be
 * opened, a process that died), never on a slow figure.
 */
import { availableParallelism } from 'node:os';
import { Presets, SingleBar } from 'cli-progress';
import { Command } from 'commander';
import { decimal, finishReport, integer, percent, type BenchTable } from './bench-report.ts';
import { serverUniverseSize } from './bench-universe.ts';
import type { LoadCommand, LoadEvent } from './fanout-load.ts';
import type { LatencySummary } from './latency.ts';
import { LoadProcess } from './load-process.ts';
import { LocalStack } from './local-stack.ts';
import { positiveNumber } from './options.ts';
import { startOrderFlow } from './order-flow.ts';
import type { OrdersLoadCommand, OrdersLoadEvent } from './orders-load.ts';
import { coresBetween, infrastructureCpuSeconds, machineCpuTicks } from './process-stats.ts';
import { highestSustained, rampTicks, setTickRate, sustained, tickCounters, type RampStep } from './tick-ramp.ts';

const options = new Command()
  .description('the whole stack: ticks to 10,000 sockets on two fan-outs, with orders flowing')
  .option('--connections <n>', 'price-socket clients, spread over the fan-outs', positiveNumber('connections'), 10_000)
  .option('--fanouts <n>', 'fan-out instances', positiveNumber('fanouts'), 2)
  .option('--symbols-per-connection <n>', 'symbols each client subscribes to (Zipf-drawn)', positiveNumber('symbols-per-connection'), 20)
  .option('--universe <n>', 'symbols ticking', positiveNumber('universe'), 5_000)
  .option('--ticks-per-second <n>', 'the simulator’s tick rate (default: the highest this stack’s ingestor sustains with everything running)', positiveNumber('ticks-per-second'))
  .option('--ramp-start <n>', 'first tick rate of the in-stack ramp', positiveNumber('ramp-start'), 2_000)
  .option('--order-rate <n>', 'open-loop orders per second', positiveNumber('order-rate'), 100)
  .option('--seconds <n>', 'measurement window', positiveNumber('seconds'), 30)
  .option('--warmup <n>', 'seconds at full load before measuring', positiveNumber('warmup'), 5)
  .option('--sample-every <n>', 'the socket load parses one frame in this many for latency', positiveNumber('sample-every'), 50)
  .parse()
  .opts<{ connections: number; fanouts: number; symbolsPerConnection: number; universe: number; ticksPerSecond?: number; rampStart: number; orderRate: number; seconds: number; warmup: number; sampleEvery: number }>();

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ms = (summary: LatencySummary) => `${decimal(summary.p50, 0)} / ${decimal(summary.p99, 0)} / ${decimal(summary.p999, 0)} (max ${decimal(summary.max, 0)})`;

/**
 * The tick rate to run at, and where it came from: the highest rate this stack's ingestor keeps
 * up with while the clients are connected and orders flow — the whole stack competes for the
 * same cores, so the rate `bench:ingest` finds for the ingestor alone is more than it gets here.
 */
async function chooseTickRate(stack: LocalStack, orders: LoadProcess<OrdersLoadCommand, OrdersLoadEvent>): Promise<{ rate: number; source: string; steps: RampStep[] }> {
  if (options.ticksPerSecond) return { rate: options.ticksPerSecond, source: 'given with --ticks-per-second', steps: [] };
  console.log('  ramping the tick rate with every client connected and orders flowing');
  orders.command({ type: 'run', phase: { name: 'order flow during the ramp', mode: 'open', rate: options.orderRate, seconds: 600 } });
  const steps = await rampTicks(stack, { start: options.rampStart, max: 400_000, factor: 1.5, settleSeconds: 2, seconds: 4 }, (step) =>
    console.log(`    ${integer(step.target)}/s asked → ${integer(step.published)}/s published${step.dropped ? `, ${integer(step.dropped)}/s dropped` : ''}`),
  );
  orders.command({ type: 'stop' });
  const during = (await orders.next('phase', 120_000)).result;
  const failed = Object.values(during.failures).reduce((sum, value) => sum + value, 0);
  if (failed > 0) throw new Error(`${failed} orders were refused during the ramp; first: ${during.firstFailure}`);
  const best = highestSustained(steps);
  if (!best) throw new Error(`the ingestor kept up with no rate of the ramp (from ${options.rampStart}/s)`);
  return { rate: Math.floor(best.target), source: `the highest rate of a ×1.5 ramp from ${integer(options.rampStart)}/s that the ingestor kept up with, everything running`, steps };
}

async function main(): Promise<void> {
  console.log(`whole-stack benchmark: ${integer(options.connections)} clients × ${options.symbolsPerConnection} symbols over ${options.fanouts} fan-outs, ${integer(options.universe)} symbols ticking, ${integer(options.orderRate)} orders/s`);
  const stack = await LocalStack.start(
    {
      label: 'stack',
      exchange: { ticksPerSecond: 0, universeSize: serverUniverseSize(options.universe) },
      ingestor: true,
      trading: true,
      fanouts: options.fanouts,
      candles: true,
      env: { EXCHANGE_TICKS_PER_SECOND: '0' },
    },
    (name) => console.log(`  started ${name}`),
  );
  let sockets: LoadProcess<LoadCommand, LoadEvent> | undefined;
  let orders: LoadProcess<OrdersLoadCommand, OrdersLoadEvent> | undefined;
  const problems: string[] = [];
  try {
    await setTickRate(stack, 1_000);
    orders = await startOrderFlow(stack, { accounts: 100, symbols: 100, marketShare: 0.3, connections: 64 });

    sockets = new LoadProcess<LoadCommand, LoadEvent>(
      'scripts/bench/fanout-load.ts',
      [
        ['--ports', stack.fanouts.map((fanout) => fanout.streamPort).join(',')],
        ['--connections', options.connections],
        ['--symbols-per-connection', options.symbolsPerConnection],
        ['--universe', options.universe],
        ['--universe-seed', Number(process.env.UNIVERSE_SEED ?? 42)],
        ['--sample-every', options.sampleEvery],
      ].flatMap(([flag, value]) => [String(flag), String(value)]),
      { BENCH_JWT_SECRET: stack.jwtSecret },
    );
    const rampBar = new SingleBar({ format: `  ramping clients {bar} {value}/{total} open | failed {failed}`, hideCursor: true }, Presets.shades_classic);
    rampBar.start(options.connections, 0, { failed: 0 });
    const onProgress = (event: LoadEvent) => {
      if (event.type === 'progress') rampBar.update(event.opened, { failed: event.failed });
    };
    sockets.child.on('message', onProgress);
    const ramped = await sockets.next('ramped', 300_000);
    sockets.child.off('message', onProgress);
    rampBar.update(ramped.opened, { failed: ramped.failed });
    rampBar.stop();
    if (ramped.failed > 0) problems.push(`${integer(ramped.failed)} of ${integer(options.connections)} clients could not connect (first: ${ramped.firstError})`);

    const { rate, source, steps } = await chooseTickRate(stack, orders);
    console.log(`  tick rate ${integer(rate)}/s (${source})`);
    await setTickRate(stack, rate);
    await pause(options.warmup * 1_000);
    stack.check();

    const cpu = () => new Map([...stack.cpuSeconds(), ...infrastructureCpuSeconds()]);
    const before = { cpu: cpu(), ticks: await tickCounters(stack), machine: machineCpuTicks(), at: performance.now() };
    sockets.command({ type: 'measure-start' });
    orders.command({ type: 'run', phase: { name: 'order flow', mode: 'open', rate: options.orderRate, seconds: options.seconds } });
    const bar = new SingleBar({ format: `  measuring {bar} {value}/{total} s`, hideCursor: true }, Presets.shades_classic);
    bar.start(options.seconds, 0);
    for (let second = 1; second <= options.seconds; second += 1) {
      await pause(1_000);
      bar.update(second);
      stack.check();
    }
    sockets.command({ type: 'measure-stop' });
    const after = { cpu: cpu(), ticks: await tickCounters(stack), machine: machineCpuTicks(), at: performance.now() };
    bar.stop();
    const seconds = (after.at - before.at) / 1_000;
    const socketReport = (await sockets.next('report', 30_000)).report;
    const orderPhase = (await orders.next('phase', 120_000)).result;
    stack.check();

    const failed = Object.values(orderPhase.failures).reduce((sum, value) => sum + value, 0);
    if (failed > 0) problems.push(`${integer(failed)} orders not accepted (${Object.entries(orderPhase.failures).map(([key, value]) => `${key} ×${value}`).join(', ')}); first: ${orderPhase.firstFailure}`);
    if (orderPhase.unseen > 0) problems.push(`${integer(orderPhase.unseen)} accepted orders never reached the read models within 15 s`);

    const cores = coresBetween(before.cpu, after.cpu, seconds);
    cores.set('socket load', socketReport.loadCpuSeconds / socketReport.seconds);
    cores.set('order load', orderPhase.loadCpuSeconds / orderPhase.seconds);
    const machineBusy = (after.machine.busy - before.machine.busy) / Math.max(1, after.machine.total - before.machine.total);
    const tickRate = (key: 'made' | 'published' | 'dropped') => (after.ticks[key] - before.ticks[key]) / seconds;
    const fanoutMetrics = await Promise.all(stack.fanouts.map((fanout) => fanout.metrics()));
    const closes = Object.entries(socketReport.closes).map(([code, count]) => `${code}×${count}`).join(' ') || 'none';

    const tables: BenchTable[] = [
      ...(steps.length > 0
        ? [
            {
              title: 'Tick rate ramp, clients connected and orders flowing (ticks per second)',
              header: ['asked', 'made', 'published', 'dropped', 'kept up', 'ingestor cores', 'fan-out cores (each)'],
              rows: steps.map((step) => [integer(step.target), integer(step.made), integer(step.published), integer(step.dropped), sustained(step) ? 'yes' : 'no', decimal(step.cores.get('ingestor') ?? Number.NaN, 2), stack.fanouts.map((fanout) => decimal(step.cores.get(fanout.name) ?? Number.NaN, 2)).join(' / ')]),
            },
          ]
        : []),
      {
        title: `The whole stack under load (${decimal(seconds, 0)} s window)`,
        header: ['what', 'measured'],
        rows: [
          ['ticks made / published / dropped at the exchange, per second', `${integer(tickRate('made'))} / ${integer(tickRate('published'))} / ${integer(tickRate('dropped'))}  (asked ${integer(rate)})`],
          ['tick → client latency p50 / p99 / p99.9 (ms)', `${ms(socketReport.latencyMs)}, ${integer(socketReport.latencyMs.samples)} samples`],
          ['quote deliveries to clients per second', integer(socketReport.deliveries / socketReport.seconds)],
          ['clients open at the end / asked', `${integer(socketReport.openConnections)} / ${integer(options.connections)}; closes seen: ${closes}`],
          ['slow clients conflated / closed 4008 (all fan-outs, since start)', `${integer(fanoutMetrics.reduce((sum, metrics) => sum + (metrics.get('fanout_fell_behind_total') ?? 0), 0))} / ${integer(fanoutMetrics.reduce((sum, metrics) => sum + (metrics.get('fanout_slow_closed_total') ?? 0), 0))}`],
          ['orders accepted / offered per second', `${integer(orderPhase.accepted / orderPhase.seconds)} / ${integer(options.orderRate)}`],
          ['order ack p50 / p99 / p99.9 (ms)', ms(orderPhase.ackMs)],
          ['order ack → read model p50 / p99 / p99.9 (ms)', ms(orderPhase.visibleMs)],
          ['machine busy', `${percent(machineBusy)} of ${availableParallelism()} cores`],
        ],
      },
      {
        title: 'CPU by component, in cores',
        header: ['component', 'cores'],
        rows: [...cores].sort((a, b) => b[1] - a[1]).map(([name, value]) => [name, decimal(value, 2)]),
      },
    ];
    const busiest = [...cores].sort((a, b) => b[1] - a[1]).slice(0, 4);
    finishReport({
      name: 'stack',
      title: 'The whole stack (bench:stack)',
      tables,
      goals: [],
      limits: [
        `every process of the stack, both load generators and the Kafka broker share ${availableParallelism()} cores, ${percent(machineBusy)} busy; the busiest: ${busiest.map(([name, value]) => `${name} ${decimal(value, 2)}`).join(', ')} cores`,
        `each fan-out takes in every tick (${integer(tickRate('published'))}/s) before it serves a client; the tick rate was ${source}`,
        ...(tickRate('published') < tickRate('made') * 0.97 ? [`in the window the ingestor published ${integer(tickRate('published'))} of the ${integer(tickRate('made'))} ticks/s made: it fell behind, and the tick latency above is its backlog`] : []),
      ],
      problems,
      figures: { tickToClientP99Ms: socketReport.latencyMs.p99, orderAckP99Ms: orderPhase.ackMs.p99, ticksPerSecond: tickRate('published') },
    });
  } finally {
    await sockets?.close({ type: 'exit' });
    await orders?.close({ type: 'exit' });
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`\nbench:stack failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
