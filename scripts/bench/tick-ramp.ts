import { coresBetween, infrastructureCpuSeconds } from './process-stats.ts';
import type { LocalStack } from './local-stack.ts';
import { exchangeAdmin } from '../../gateways/exchange/exchange-admin-client.ts';

/** A rate the ingestor keeps up with: it publishes at least this share of what the simulator sent, and the simulator dropped none. */
export const SUSTAINED_SHARE = 0.97;

/** Ticks per second at each stage of one step of the ramp, and CPU in cores by component. */
export interface RampStep {
  readonly target: number;
  readonly made: number;
  readonly sent: number;
  readonly dropped: number;
  readonly received: number;
  readonly published: number;
  readonly cores: Map<string, number>;
}

/** The simulator could not make the rate asked (it was starved of CPU): the step says nothing of the ingestor. */
export const simulatorFellShort = (step: RampStep): boolean => step.made < step.target * 0.95;

/** The ingestor kept up with what the simulator sent in the step: it published it, nothing was dropped. */
export const ingestorKeptUp = (step: RampStep): boolean => step.published >= step.sent * SUSTAINED_SHARE && step.dropped === 0;

/** A step that shows the ingestor keeps up with the rate asked: it kept up, and that rate was made. */
export const sustained = (step: RampStep): boolean => ingestorKeptUp(step) && !simulatorFellShort(step);

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface TickCounters {
  readonly made: number;
  readonly sent: number;
  readonly dropped: number;
  readonly received: number;
  readonly published: number;
}

/** The simulator's and the ingestor's tick counters, from their /metrics. */
export async function tickCounters(stack: LocalStack): Promise<TickCounters> {
  const [exchange, ingestor] = await Promise.all([stack.service('exchange-sim').metrics(), stack.service('ingestor').metrics()]);
  return {
    made: exchange.get('exchange_ticks_total') ?? Number.NaN,
    sent: exchange.get('exchange_ticks_sent_total') ?? Number.NaN,
    dropped: exchange.get('exchange_ticks_dropped_total') ?? 0,
    received: ingestor.get('ingestor_ticks_received_total') ?? Number.NaN,
    published: ingestor.get('ingestor_ticks_total') ?? Number.NaN,
  };
}

/** Sets the simulator's tick rate (`POST /admin/ticks`). */
export async function setTickRate(stack: LocalStack, ticksPerSecond: number): Promise<void> {
  const response = await exchangeAdmin(stack.exchangeUrl, stack.exchangeAdminToken).post('/admin/ticks', { ticksPerSecond: Math.round(ticksPerSecond) });
  if (!response.ok) throw new Error(`the simulator refused tick rate ${ticksPerSecond}: ${response.status} ${await response.text()}`);
}

/** One step: the rate set, `settleSeconds` to settle, then `seconds` measured. */
export async function rampStep(stack: LocalStack, target: number, settleSeconds: number, seconds: number): Promise<RampStep> {
  await setTickRate(stack, target);
  await pause(settleSeconds * 1_000);
  stack.check();
  const cpu = () => new Map([...stack.cpuSeconds(), ...infrastructureCpuSeconds()]);
  const before = { counters: await tickCounters(stack), cpu: cpu(), at: performance.now() };
  await pause(seconds * 1_000);
  const after = { counters: await tickCounters(stack), cpu: cpu(), at: performance.now() };
  stack.check();
  const elapsed = (after.at - before.at) / 1_000;
  const rate = (key: keyof TickCounters) => (after.counters[key] - before.counters[key]) / elapsed;
  return { target, made: rate('made'), sent: rate('sent'), dropped: rate('dropped'), received: rate('received'), published: rate('published'), cores: coresBetween(before.cpu, after.cpu, elapsed) };
}

/**
 * Steps the tick rate up by `factor` from `start` until the ingestor no longer keeps up, the
 * simulator cannot make the rate asked, or `max` is passed; then halves the gap between the last
 * rate kept up with and the first that was not (`refinements` times, 2 by default). Returns every step.
 */
export async function rampTicks(stack: LocalStack, settings: { start: number; max: number; factor: number; settleSeconds: number; seconds: number; refinements?: number }, onStep: (step: RampStep) => void = () => undefined): Promise<RampStep[]> {
  const steps: RampStep[] = [];
  let failed: RampStep | undefined;
  for (let target = settings.start; target <= settings.max; target = Math.round(target * settings.factor)) {
    const step = await rampStep(stack, target, settings.settleSeconds, settings.seconds);
    steps.push(step);
    onStep(step);
    if (!sustained(step)) {
      failed = step;
      break;
    }
  }
  // Between the last rate kept up with and the first that was not, two halvings narrow the limit.
  let low = [...steps].reverse().find(sustained)?.target;
  let high = failed?.target;
  for (let round = 0; round < (settings.refinements ?? 2) && low !== undefined && high !== undefined; round += 1) {
    // A step the ingestor fell behind in leaves a backlog that would spoil the next one: drain it first.
    await drain(stack);
    const step = await rampStep(stack, Math.round((low + high) / 2), settings.settleSeconds, settings.seconds);
    steps.push(step);
    onStep(step);
    if (sustained(step)) low = step.target;
    else high = step.target;
  }
  return steps;
}

/** Stops the ticks and waits (up to 30 s) until the ingestor has published everything sent. */
export async function drain(stack: LocalStack): Promise<void> {
  await setTickRate(stack, 0);
  const deadline = Date.now() + 30_000;
  for (let counters = await tickCounters(stack); counters.published < counters.sent && Date.now() < deadline; counters = await tickCounters(stack)) await pause(250);
}

/**
 * The step with the highest rate the ingestor kept up with — one whose simulator, starved of CPU,
 * made less than asked still shows the ingestor keeping up with what it made.
 */
export function highestSustained(steps: readonly RampStep[]): RampStep | undefined {
  return steps.filter(ingestorKeptUp).sort((a, b) => b.published - a.published)[0];
}
