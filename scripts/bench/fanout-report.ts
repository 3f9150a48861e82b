import { availableParallelism } from 'node:os';
import type { LatencySummary } from './fanout-load.ts';
import { decimal, goalStatus, integer, type BenchGoal, type BenchTable } from './bench-report.ts';

/** What one server's run measured. */
export interface RunResult {
  readonly transport: 'uws' | 'ws';
  readonly connectionsAsked: number;
  readonly connectionsOpened: number;
  readonly connectionsFailed: number;
  readonly connectionsOpenAtEnd: number;
  readonly seconds: number;
  readonly deliveries: number;
  readonly serverCpuSeconds: number;
  readonly latencyMs: LatencySummary;
  /** RSS before connecting (ticks flowing), after the ramp (ticks paused, connections at rest), and its peak in the window. */
  readonly rssBeforeBytes: number;
  readonly rssIdleBytes: number;
  readonly rssAfterBytes: number;
  /** Server CPU (fraction of a core) following the ticks with no connection: the intake's fixed cost. */
  readonly intakeCpuFraction: number;
  readonly ticksPublished: number;
  readonly ticksSkipped: number;
  readonly snapshots: number;
  readonly errorMessages: number;
  readonly frames: number;
  readonly bytes: number;
  readonly loadCpuSeconds: number;
  readonly machineBusyFraction: number;
  /** CPU seconds in the window: the whole machine, the Kafka broker (NaN when not found), this process (the tick generator). */
  readonly machineBusySeconds: number;
  readonly kafkaCpuSeconds: number;
  readonly generatorCpuSeconds: number;
  readonly closes: Record<string, number>;
  readonly fellBehind: number | undefined;
  readonly slowClosed: number | undefined;
  /** Server diagnostics from its /metrics: heap used at the start and end of the window, the largest socket send buffer, event-loop lag p99 in the window. */
  readonly heapUsedBytes: readonly [number | undefined, number | undefined];
  readonly maxBufferedBytes: number | undefined;
  readonly eventLoopLagP99Seconds: number | undefined;
}

export const perSecond = (result: RunResult) => result.deliveries / result.seconds;
export const perCpuSecond = (result: RunResult) => (result.serverCpuSeconds > 0 ? result.deliveries / result.serverCpuSeconds : Number.NaN);
export const rssPerConnection = (result: RunResult) => (result.rssAfterBytes - result.rssBeforeBytes) / Math.max(1, result.connectionsOpenAtEnd);
export const rssAtRestPerConnection = (result: RunResult) => (result.rssIdleBytes - result.rssBeforeBytes) / Math.max(1, result.connectionsOpened);

const mib = (bytes: number) => `${decimal(bytes / 1_048_576)} MiB`;

function rows(result: RunResult): Array<[string, string]> {
  const closes = Object.entries(result.closes).map(([code, count]) => `${code}×${count}`).join(' ') || 'none';
  return [
    ['connections (open / asked)', `${integer(result.connectionsOpenAtEnd)} / ${integer(result.connectionsAsked)}${result.connectionsFailed ? ` (${integer(result.connectionsFailed)} failed)` : ''}`],
    ['deliveries per second', integer(perSecond(result))],
    ['deliveries per server CPU-second', integer(perCpuSecond(result))],
    ['server CPU', `${decimal((result.serverCpuSeconds / result.seconds) * 100, 0)} % of a core (${decimal(result.intakeCpuFraction * 100, 0)} % with no connections: tick intake)`],
    ['latency p50 / p99 / p99.9 (ms)', `${decimal(result.latencyMs.p50, 0)} / ${decimal(result.latencyMs.p99, 0)} / ${decimal(result.latencyMs.p999, 0)}  (max ${decimal(result.latencyMs.max, 0)}, ${integer(result.latencyMs.samples)} samples)`],
    ['server RSS per connection (window peak)', `${decimal(rssPerConnection(result) / 1024, 2)} KiB  (${mib(result.rssBeforeBytes)} → ${mib(result.rssAfterBytes)})`],
    ['  … at rest after the ramp (ticks paused)', `${decimal(rssAtRestPerConnection(result) / 1024, 2)} KiB  (→ ${mib(result.rssIdleBytes)})`],
    ['ticks published per second', `${integer(result.ticksPublished / result.seconds)}${result.ticksSkipped ? ` (${integer(result.ticksSkipped)} skipped: generator starved)` : ''}`],
    ['frames / MiB per second', `${integer(result.frames / result.seconds)} / ${decimal(result.bytes / result.seconds / 1_048_576)}`],
    ['snapshots, error messages in window', `${integer(result.snapshots)}, ${integer(result.errorMessages)}`],
    ['fell behind / closed 4008 (server)', `${result.fellBehind === undefined ? 'n/a' : integer(result.fellBehind)} / ${result.slowClosed === undefined ? 'n/a' : integer(result.slowClosed)}`],
    ['closes seen by the load', closes],
    ['server heap used (window start → end)', result.heapUsedBytes.every((value) => value !== undefined) ? `${mib(result.heapUsedBytes[0]!)} → ${mib(result.heapUsedBytes[1]!)}` : 'n/a'],
    ['server event-loop lag p99, max send buffer', `${result.eventLoopLagP99Seconds === undefined ? 'n/a' : `${decimal(result.eventLoopLagP99Seconds * 1_000, 0)} ms`}, ${result.maxBufferedBytes === undefined ? 'n/a' : `${decimal(result.maxBufferedBytes / 1024, 1)} KiB`}`],
    ['CPU in cores: server, load, ticks, Kafka, rest', cpuShares(result)],
    ['machine busy', `${decimal(result.machineBusyFraction * 100, 0)} % of ${availableParallelism()} cores`],
  ];
}

/** Who used the machine in the window; "rest" is everything else on it (other users included). */
function cpuShares(result: RunResult): string {
  const cores = (seconds: number) => decimal(seconds / result.seconds, 2);
  const known = result.serverCpuSeconds + result.loadCpuSeconds + result.generatorCpuSeconds + (Number.isFinite(result.kafkaCpuSeconds) ? result.kafkaCpuSeconds : 0);
  return [result.serverCpuSeconds, result.loadCpuSeconds, result.generatorCpuSeconds, result.kafkaCpuSeconds, result.machineBusySeconds - known].map(cores).join(' / ');
}

export function printRun(result: RunResult): void {
  const title = result.transport === 'uws' ? 'uWebSockets.js fan-out (ours)' : 'ws fan-out (baseline)';
  console.log(`\n${title}, ${decimal(result.seconds)} s window`);
  for (const [label, value] of rows(result)) console.log(`  ${label.padEnd(46)} ${value}`);
}

/** Both runs side by side, the ratios and the goals (a miss is reported, never an exit status). */
export function comparison(ours: RunResult | undefined, baseline: RunResult | undefined, windowMs: number): { tables: BenchTable[]; goals: BenchGoal[] } {
  const runs = [ours, baseline].filter((run): run is RunResult => run !== undefined);
  const labels = rows(runs[0]!).map(([label]) => label);
  const tables: BenchTable[] = [
    {
      title: `Fan-out runs (${runs.map((run) => `${run.transport}: ${decimal(run.seconds)} s window`).join(', ')})`,
      header: ['', ...runs.map((run) => (run.transport === 'uws' ? 'uWebSockets.js (ours)' : 'ws (baseline)'))],
      rows: labels.map((label, index) => [label.trim(), ...runs.map((run) => rows(run)[index]![1])]),
    },
  ];
  const goals: BenchGoal[] = [];
  if (ours) {
    goals.push({ goal: `p99 tick-to-client ≤ ${windowMs + 20} ms (window ${windowMs} ms + 20)`, measured: `${decimal(ours.latencyMs.p99, 0)} ms`, status: goalStatus(Number.isFinite(ours.latencyMs.p99) ? ours.latencyMs.p99 <= windowMs + 20 : false) });
    goals.push({ goal: 'server RSS per connection < 4 KiB', measured: `${decimal(rssPerConnection(ours) / 1024, 2)} KiB at the window's peak (${decimal(rssAtRestPerConnection(ours) / 1024, 2)} KiB at rest after the ramp)`, status: goalStatus(rssPerConnection(ours) < 4 * 1024) });
  }
  if (ours && baseline) {
    const ratio = perCpuSecond(ours) / perCpuSecond(baseline);
    goals.push({ goal: 'deliveries per CPU-second ≥ 5× the ws baseline', measured: `${decimal(ratio, 2)}×`, status: goalStatus(ratio >= 5) });
    tables.push({
      title: 'Ours / baseline',
      header: ['what', 'ratio'],
      rows: [
        ['deliveries per second', perSecond(ours) / perSecond(baseline)],
        ['deliveries per server CPU-second', ratio],
        ['latency p99', ours.latencyMs.p99 / baseline.latencyMs.p99],
        ['server RSS per connection', rssPerConnection(ours) / rssPerConnection(baseline)],
      ].map(([label, value]) => [label as string, `${decimal(value as number, 2)}×`]),
    });
  } else {
    goals.push({ goal: 'deliveries per CPU-second ≥ 5× the ws baseline', measured: 'needs both servers (no --only)', status: 'n/a' });
  }
  return { tables, goals };
}
