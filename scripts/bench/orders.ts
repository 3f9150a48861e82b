/**
 * Order-path benchmark: orders placed through the HTTP API of the local distributed mode — the
 * simulator as the exchange, `ingestor`, `projector`, `worker` and `api` each their own process on
 * real PostgreSQL, Redis and Kafka — by a load generator in a process of its own, open-loop at a
 * set rate and closed-loop at a set concurrency. Prints accepted orders/s, p50/p99/p99.9
 * acknowledgement latency and the time from acknowledgement to the read models having applied
 * the order; then, on the same database at the same concurrency, the rate of plain one-row
 * `INSERT … COMMIT` transactions (the floor of durable writes here) and the ratio.
 *
 *   npm run bench:orders [-- --rate 500 --concurrency 32 --seconds 20]
 *
 * Needs PostgreSQL, Redis and Kafka (`npm run services:up`). Exits non-zero only when the run
 * broke (an order refused or lost, a process that died), never on a slow figure.
 */
import { availableParallelism } from 'node:os';
import { Presets, SingleBar } from 'cli-progress';
import { Command } from 'commander';
import pg from 'pg';
import { decimal, finishReport, goalStatus, integer, percent, ratio, type BenchGoal, type BenchTable } from './bench-report.ts';
import type { LatencySummary } from './latency.ts';
import { LoadProcess } from './load-process.ts';
import { LocalStack } from './local-stack.ts';
import { startOrderFlow } from './order-flow.ts';
import type { OrdersLoadCommand, OrdersLoadEvent, PhaseResult, PhaseSpec } from './orders-load.ts';
import { plainInsertRate, preparePlainInserts } from './plain-inserts.ts';
import { coresBetween, infrastructureCpuSeconds, machineCpuTicks } from './process-stats.ts';
import { positiveNumber } from './options.ts';

const options = new Command()
  .description('order-path benchmark: the HTTP API of the local distributed mode beside plain INSERT … COMMIT')
  .option('--rates <list>', 'open-loop orders per second, one phase each (the goal is judged at 500)', (value: string) => value.split(',').map((rate) => positiveNumber('rates')(rate)), [250, 500])
  .option('--concurrency <n>', 'closed-loop senders, and plain INSERT writers', positiveNumber('concurrency'), 32)
  .option('--seconds <n>', 'length of each measured phase', positiveNumber('seconds'), 20)
  .option('--warmup <n>', 'seconds of closed-loop orders before measuring (not counted)', positiveNumber('warmup'), 5)
  .option('--accounts <n>', 'accounts the orders are spread over', positiveNumber('accounts'), 200)
  .option('--symbols <n>', 'symbols traded (the simulator’s hottest, Zipf-drawn)', positiveNumber('symbols'), 100)
  .option('--market-share <f>', 'share of market buys (the rest: limit buys that rest on the book)', Number, 0.3)
  .option('--ticks-per-second <n>', 'the exchange’s tick rate', positiveNumber('ticks-per-second'), 1_000)
  .parse()
  .opts<{ rates: number[]; concurrency: number; seconds: number; warmup: number; accounts: number; symbols: number; marketShare: number; ticksPerSecond: number }>();

const GOAL_ACK_P99_MS = 50;
const GOAL_RATE = 500;
const GOAL_INSERT_RATIO = 0.5;

interface MeasuredPhase {
  readonly result: PhaseResult;
  /** CPU in cores by component over the phase. */
  readonly cores: Map<string, number>;
  readonly machineBusy: number;
}

function cpuSample(stack: LocalStack): Map<string, number> {
  return new Map([...stack.cpuSeconds(), ...infrastructureCpuSeconds()]);
}

async function runPhase(stack: LocalStack, load: LoadProcess<OrdersLoadCommand, OrdersLoadEvent>, phase: PhaseSpec): Promise<MeasuredPhase> {
  const label = phase.mode === 'open' ? `${phase.name}: ${integer(phase.rate)} orders/s offered` : `${phase.name}: ${phase.concurrency} senders`;
  const bar = new SingleBar({ format: `  ${label.padEnd(36)} {bar} {value}/{total} s | {sent} sent, {accepted} accepted, {failed} failed`, hideCursor: true }, Presets.shades_classic);
  bar.start(phase.seconds, 0, { sent: 0, accepted: 0, failed: 0 });
  const onProgress = (event: OrdersLoadEvent) => {
    if (event.type === 'progress') bar.update(Math.min(phase.seconds, Math.round((performance.now() - began) / 1_000)), event);
  };
  load.child.on('message', onProgress);
  const before = { cpu: cpuSample(stack), machine: machineCpuTicks() };
  const began = performance.now();
  const watchdog = setInterval(() => stack.check(), 1_000);
  try {
    load.command({ type: 'run', phase });
    const result = (await load.next('phase', (phase.seconds + 120) * 1_000)).result;
    const after = { cpu: cpuSample(stack), machine: machineCpuTicks() };
    bar.update(phase.seconds);
    const cores = coresBetween(before.cpu, after.cpu, result.seconds);
    cores.set('load generator', result.loadCpuSeconds / result.seconds);
    return { result, cores, machineBusy: (after.machine.busy - before.machine.busy) / Math.max(1, after.machine.total - before.machine.total) };
  } finally {
    clearInterval(watchdog);
    load.child.off('message', onProgress);
    bar.stop();
  }
}

/**
 * Waits (up to 60 s) until the worker has routed every accepted order, so that a phase does not
 * inherit the previous one's backlog: a phase offered more than the machine takes leaves orders
 * to route after its last acknowledgement.
 */
async function settle(stack: LocalStack): Promise<void> {
  const db = new pg.Client({ connectionString: stack.appUrl });
  await db.connect();
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const [row] = (await db.query<{ pending: string }>(`SELECT count(*)::text AS pending FROM orders WHERE status = 'pending'`)).rows;
      if (Number(row?.pending ?? 0) === 0 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await db.end();
  }
  await new Promise((resolve) => setTimeout(resolve, 1_000));
}

const ms = (summary: LatencySummary) => `${decimal(summary.p50, 1)} / ${decimal(summary.p99, 1)} / ${decimal(summary.p999, 1)}`;

async function main(): Promise<void> {
  console.log(
    `order-path benchmark: open loop at ${options.rates.map(integer).join(' and ')} orders/s and closed loop with ${options.concurrency} senders, ${options.seconds} s each, ` +
      `${integer(options.accounts)} accounts, ${options.symbols} symbols, ${percent(options.marketShare)} market orders; the exchange ticks ${integer(options.ticksPerSecond)}/s`,
  );
  const stack = await LocalStack.start({ label: 'orders', exchange: { ticksPerSecond: options.ticksPerSecond }, ingestor: true, trading: true }, (name) => console.log(`  started ${name}`));
  let load: LoadProcess<OrdersLoadCommand, OrdersLoadEvent> | undefined;
  const problems: string[] = [];
  try {
    load = await startOrderFlow(stack, { accounts: options.accounts, symbols: options.symbols, marketShare: options.marketShare, connections: Math.max(64, options.concurrency * 2) });
    console.log(`  funded ${integer(options.accounts)} accounts with $10,000,000.00 each`);

    const phases: MeasuredPhase[] = [];
    const warmup = await runPhase(stack, load, { name: 'warm-up', mode: 'closed', concurrency: 8, seconds: options.warmup });
    await settle(stack);
    for (const rate of options.rates) {
      phases.push(await runPhase(stack, load, { name: `open loop at ${rate}/s`, mode: 'open', rate, seconds: options.seconds }));
      await settle(stack);
    }
    phases.push(await runPhase(stack, load, { name: 'closed loop', mode: 'closed', concurrency: options.concurrency, seconds: options.seconds }));
    await settle(stack);

    await preparePlainInserts(stack.databaseAdminUrl);
    const insertBar = new SingleBar({ format: `  ${`plain INSERT … COMMIT: ${options.concurrency} writers`.padEnd(36)} {bar} {value}/{total} s | {ops} commits`, hideCursor: true }, Presets.shades_classic);
    insertBar.start(options.seconds, 0, { ops: 0 });
    const beforeInserts = cpuSample(stack);
    const insertStarted = performance.now();
    const insertRate = await plainInsertRate(stack.appUrl, options.concurrency, options.seconds, (operations, elapsed) => insertBar.update(Math.min(options.seconds, Math.floor(elapsed)), { ops: operations }));
    const insertCores = coresBetween(beforeInserts, cpuSample(stack), (performance.now() - insertStarted) / 1_000);
    insertBar.update(options.seconds);
    insertBar.stop();

    // Every accepted order must be in the read model: nothing acknowledged is lost.
    const acceptedTotal = [warmup, ...phases].reduce((sum, phase) => sum + phase.result.accepted, 0);
    const db = new pg.Client({ connectionString: stack.appUrl });
    await db.connect();
    const [{ count }] = (await db.query<{ count: string }>('SELECT count(*)::text AS count FROM orders')).rows as [{ count: string }];
    await db.end();
    stack.check();

    for (const { result } of [warmup, ...phases]) {
      const failed = Object.values(result.failures).reduce((sum, value) => sum + value, 0);
      if (failed > 0) problems.push(`${result.spec.name}: ${integer(failed)} orders not accepted (${Object.entries(result.failures).map(([key, value]) => `${key} ×${value}`).join(', ')}); first: ${result.firstFailure}`);
      if (result.unseen > 0) problems.push(`${result.spec.name}: ${integer(result.unseen)} accepted orders never reached the read models within 15 s`);
    }
    if (Number(count) !== acceptedTotal) problems.push(`the orders read model holds ${count} orders, but ${acceptedTotal} were accepted`);

    const closed = phases.at(-1)!;
    const opens = phases.slice(0, -1);
    const open = opens.find((phase) => phase.result.spec.mode === 'open' && phase.result.spec.rate === GOAL_RATE) ?? opens[0]!;
    const goalRate = open.result.spec.mode === 'open' ? open.result.spec.rate : Number.NaN;
    const rate = (phase: MeasuredPhase) => phase.result.accepted / phase.result.seconds;
    // The trading-core processes and the services they use, per accepted order (the load generators left out).
    const serverCpuPerOrderMs = (phase: MeasuredPhase) => ([...phase.cores].filter(([name]) => name !== 'load generator').reduce((sum, [, cores]) => sum + cores, 0) / rate(phase)) * 1_000;
    const insertRatio = rate(closed) / insertRate;
    const phaseRow = (phase: MeasuredPhase): string[] => [
      phase.result.spec.mode === 'open' ? `open loop, ${integer(phase.result.spec.rate)}/s offered` : `closed loop, ${phase.result.spec.concurrency} senders`,
      integer(rate(phase)),
      ms(phase.result.ackMs),
      ms(phase.result.visibleMs),
      `${integer(phase.result.sent)} / ${integer(phase.result.accepted)}${phase.result.skipped ? ` (${integer(phase.result.skipped)} not sent)` : ''}`,
    ];
    const components = [...new Set(phases.flatMap((phase) => [...phase.cores.keys()]))];
    const phaseName = (phase: MeasuredPhase) => (phase.result.spec.mode === 'open' ? `open ${integer(phase.result.spec.rate)}/s` : `closed ${phase.result.spec.concurrency}`);
    const tables: BenchTable[] = [
      {
        title: `Orders through the HTTP API (${options.seconds} s per phase; latency in ms)`,
        header: ['phase', 'accepted/s', 'ack p50 / p99 / p99.9', 'ack → read model p50 / p99 / p99.9', 'sent / accepted'],
        rows: phases.map(phaseRow),
      },
      {
        title: 'Against the floor of durable writes (same database, same concurrency)',
        header: ['what', 'per second', 'ratio'],
        rows: [
          [`orders accepted, closed loop, ${options.concurrency} senders`, integer(rate(closed)), ratio(insertRatio)],
          [`plain INSERT … COMMIT, ${options.concurrency} connections`, integer(insertRate), '1.00×'],
        ],
      },
      {
        title: 'CPU by component, in cores',
        header: ['component', ...phases.map(phaseName), 'plain INSERT'],
        rows: [
          ...components.map((name) => [name, ...phases.map((phase) => decimal(phase.cores.get(name) ?? Number.NaN, 2)), decimal(insertCores.get(name) ?? Number.NaN, 2)]),
          ['machine busy', ...phases.map((phase) => percent(phase.machineBusy)), ''],
          ['server CPU per accepted order (ms)', ...phases.map((phase) => decimal(serverCpuPerOrderMs(phase), 2)), ''],
        ],
      },
    ];
    const goals: BenchGoal[] = [
      { goal: `order ack p99 < ${GOAL_ACK_P99_MS} ms at ${integer(GOAL_RATE)} orders/s (open loop)`, measured: `${decimal(open.result.ackMs.p99, 1)} ms at ${integer(goalRate)}/s offered, ${integer(rate(open))}/s accepted`, status: goalStatus(goalRate >= GOAL_RATE && open.result.ackMs.p99 < GOAL_ACK_P99_MS) },
      { goal: `accepted orders/s ≥ ${percent(GOAL_INSERT_RATIO)} of plain INSERT/s at ${options.concurrency}`, measured: `${integer(rate(closed))} / ${integer(insertRate)} = ${ratio(insertRatio)}`, status: goalStatus(insertRatio >= GOAL_INSERT_RATIO) },
    ];
    const busiest = [...closed.cores].sort((a, b) => b[1] - a[1]).slice(0, 3);
    const capacity = (availableParallelism() * 1_000) / serverCpuPerOrderMs(closed);
    const limits = [
      `every accepted order cost ${decimal(serverCpuPerOrderMs(closed), 2)} ms of CPU across the trading-core processes, PostgreSQL, Redis and Kafka (closed loop), so ${availableParallelism()} cores give about ${integer(capacity)} orders/s before anything queues; an open loop offered more than that queues at the API, and its latency is the queue`,
      `closed loop: the machine was ${percent(closed.machineBusy)} busy on ${availableParallelism()} cores; the busiest components were ${busiest.map(([name, cores]) => `${name} ${decimal(cores, 2)}`).join(', ')} cores`,
      `an order is two appends (the order stream, then the account's reservation) plus the HTTP, validation, JWT and rate-limit work around them, while the worker routes it and the projector folds it on the same two cores; a plain INSERT is one commit and nothing else`,
    ];
    finishReport({
      name: 'orders',
      title: 'Order path (bench:orders)',
      tables,
      goals,
      limits,
      problems,
    });
  } finally {
    await load?.close({ type: 'exit' });
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`\nbench:orders failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
