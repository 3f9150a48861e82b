/**
 * Ingest benchmark: ticks per second from the exchange simulator through the `ingestor` into
 * Kafka (`market.ticks` and the compacted `market.last`, acks from every in-sync replica, the
 * idempotent producer), each its own process, the simulator's tick rate ramped up until the
 * ingestor no longer keeps up — beside, in the same run on the same broker, a bare kafkajs
 * producer loop that sends ready-made tick messages to two topics of the same shape with the same
 * producer settings, as fast as it can.
 *
 *   npm run bench:ingest [-- --step-seconds 5 --max-rate 400000]
 *
 * Needs Kafka and Redis (`npm run services:up`). Exits non-zero only when the run broke (a tick
 * lost between the simulator, the ingestor and Kafka, a process that died), never on a slow figure.
 */
import { availableParallelism } from 'node:os';
import { Presets, SingleBar } from 'cli-progress';
import { Command } from 'commander';
import kafkajs from 'kafkajs';
import { connectWithTopics, tickTopics, topicOffsets } from '../../infrastructure/market-data/kafka-tick-log.ts';
import { seededRandom } from '../../domain/shared/seeded-random.ts';
import { benchUniverse } from './bench-universe.ts';
import { decimal, finishReport, goalStatus, integer, percent, ratio, type BenchTable } from './bench-report.ts';
import { LocalStack } from './local-stack.ts';
import { positiveNumber } from './options.ts';
import { coresBetween, infrastructureCpuSeconds } from './process-stats.ts';
import { drain, highestSustained, rampTicks, simulatorFellShort, sustained, tickCounters } from './tick-ramp.ts';
import { ZipfSampler } from './zipf.ts';

const options = new Command()
  .description('ingest benchmark: simulator → ingestor → Kafka, beside a bare kafkajs producer loop')
  .option('--step-seconds <n>', 'measured seconds per tick rate', positiveNumber('step-seconds'), 5)
  .option('--settle-seconds <n>', 'seconds at each new rate before measuring', positiveNumber('settle-seconds'), 2)
  .option('--start-rate <n>', 'first tick rate of the ramp', positiveNumber('start-rate'), 10_000)
  .option('--max-rate <n>', 'the ramp stops here at the latest', positiveNumber('max-rate'), 400_000)
  .option('--step-factor <f>', 'each rate of the ramp is the previous one times this', positiveNumber('step-factor'), 1.25)
  .option('--bare-seconds <n>', 'seconds of the bare producer loop', positiveNumber('bare-seconds'), 10)
  .option('--bare-batch <n>', 'ticks per send of the bare producer loop', positiveNumber('bare-batch'), 4_000)
  .option('--universe <n>', 'symbols ticking', positiveNumber('universe'), 5_000)
  .parse()
  .opts<{ stepSeconds: number; settleSeconds: number; startRate: number; maxRate: number; stepFactor: number; bareSeconds: number; bareBatch: number; universe: number }>();

const GOAL_SHARE_OF_BARE = 0.8;

/** The bare producer loop: ready-made tick messages, back-to-back batches, the ingestor's producer settings. */
async function bareProducerRate(brokers: string[], prefix: string): Promise<{ perSecond: number; cores: Map<string, number> }> {
  const topics = tickTopics(prefix);
  const kafka = await connectWithTopics(brokers, 'trading-core-bench-bare', topics);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  const random = seededRandom(3);
  const universe = benchUniverse(options.universe, Number(process.env.UNIVERSE_SEED ?? 42));
  const zipf = new ZipfSampler(universe.length, 1, random);
  const ts = new Date().toISOString();
  const messages = Array.from({ length: options.bareBatch }, (_, index) => {
    const { symbol, referencePriceCents } = universe[zipf.next()]!;
    return { key: symbol, value: JSON.stringify({ symbol, priceCents: referencePriceCents, bidCents: referencePriceCents - 1, askCents: referencePriceCents + 1, volume: index, ts, seq: index + 1, openCents: referencePriceCents }) };
  });
  const bar = new SingleBar({ format: `  bare kafkajs producer loop {bar} {value}/{total} s | {ticks} ticks`, hideCursor: true }, Presets.shades_classic);
  bar.start(options.bareSeconds, 0, { ticks: 0 });
  const before = { cpu: process.cpuUsage(), infrastructure: infrastructureCpuSeconds() };
  const begin = performance.now();
  let ticks = 0;
  while (performance.now() - begin < options.bareSeconds * 1_000) {
    await producer.sendBatch({ acks: -1, topicMessages: [{ topic: topics.ticks, messages }, { topic: topics.last, messages }] });
    ticks += messages.length;
    bar.update(Math.min(options.bareSeconds, Math.floor((performance.now() - begin) / 1_000)), { ticks });
  }
  const seconds = (performance.now() - begin) / 1_000;
  const cpu = process.cpuUsage(before.cpu);
  const cores = coresBetween(before.infrastructure, infrastructureCpuSeconds(), seconds);
  cores.set('bare producer', (cpu.user + cpu.system) / 1e6 / seconds);
  bar.update(options.bareSeconds);
  bar.stop();
  await producer.disconnect();
  return { perSecond: ticks / seconds, cores };
}

async function main(): Promise<void> {
  console.log(`ingest benchmark: ${integer(options.universe)} symbols (Zipf), tick rate from ${integer(options.startRate)}/s ×${options.stepFactor} per step up to ${integer(options.maxRate)}/s, ${options.stepSeconds} s per step`);
  const stack = await LocalStack.start(
    { label: 'ingest', exchange: { ticksPerSecond: 0, universeSize: options.universe }, ingestor: true, env: { STALE_AFTER_MS: '600000', EXCHANGE_TICKS_PER_SECOND: '0' } },
    (name) => console.log(`  started ${name}`),
  );
  const problems: string[] = [];
  try {
    const bareBefore = await bareProducerRate(stack.brokers, `${stack.topicPrefix}bare.`);
    console.log(`  bare producer: ${integer(bareBefore.perSecond)} ticks/s`);

    const steps = await rampTicks(stack, { start: options.startRate, max: options.maxRate, factor: options.stepFactor, settleSeconds: options.settleSeconds, seconds: options.stepSeconds }, (step) =>
      console.log(`  ${integer(step.target).padStart(9)}/s asked: the simulator made ${integer(step.made)}/s, the ingestor published ${integer(step.published)}/s${step.dropped ? ` (${integer(step.dropped)}/s dropped at the simulator: the ingestor fell behind)` : ''}`),
    );

    // Stop ticking; everything the simulator sent must reach Kafka, exactly once.
    await drain(stack);
    const last = await tickCounters(stack);
    // The bare loop again on the broker as the ramp left it; the better of its two runs is the baseline.
    const bareAfter = await bareProducerRate(stack.brokers, `${stack.topicPrefix}bare.`);
    const bare = bareAfter.perSecond > bareBefore.perSecond ? bareAfter : bareBefore;
    console.log(`  bare producer again: ${integer(bareAfter.perSecond)} ticks/s`);
    const kafka = new kafkajs.Kafka({ clientId: 'trading-core-bench-check', brokers: stack.brokers, logLevel: kafkajs.logLevel.NOTHING });
    const inTopic = (await topicOffsets(kafka, tickTopics(stack.topicPrefix).ticks)).reduce((sum, partition) => sum + Number(partition.high) - Number(partition.low), 0);
    if (last.received !== last.sent) problems.push(`the simulator sent ${integer(last.sent)} ticks but the ingestor received ${integer(last.received)}`);
    if (last.published !== last.received) problems.push(`the ingestor received ${integer(last.received)} ticks but published ${integer(last.published)}`);
    if (inTopic !== last.published) problems.push(`the ingestor published ${integer(last.published)} ticks but ${integer(inTopic)} are in the ticks topic`);
    stack.check();

    const best = highestSustained(steps);
    const peak = [...steps].sort((a, b) => b.published - a.published)[0]!;
    const ingestRate = best?.published ?? Number.NaN;
    const share = ingestRate / bare.perSecond;
    const components = ['exchange-sim', 'ingestor', 'kafka', 'redis'];
    const tables: BenchTable[] = [
      {
        title: `Ramp: the simulator's tick rate stepped up (${options.stepSeconds} s per step; ticks per second)`,
        header: ['asked', 'made', 'sent', 'dropped', 'received', 'published', 'kept up', ...components.map((name) => `${name} cores`)],
        rows: steps.map((step) => [integer(step.target), integer(step.made), integer(step.sent), integer(step.dropped), integer(step.received), integer(step.published), sustained(step) ? 'yes' : 'no', ...components.map((name) => decimal(step.cores.get(name) ?? Number.NaN, 2))]),
      },
      {
        title: 'Ingest against the bare producer (same broker, same run)',
        header: ['what', 'ticks per second', 'ratio', 'CPU in cores'],
        rows: [
          [`ingestor, highest rate it kept up with`, integer(ingestRate), ratio(share), best ? `ingestor ${decimal(best.cores.get('ingestor') ?? Number.NaN, 2)}, kafka ${decimal(best.cores.get('kafka') ?? Number.NaN, 2)}, simulator ${decimal(best.cores.get('exchange-sim') ?? Number.NaN, 2)}` : ''],
          [`bare kafkajs producer loop (${integer(options.bareBatch)} ticks per send; better of ${integer(bareBefore.perSecond)} before and ${integer(bareAfter.perSecond)} after the ramp)`, integer(bare.perSecond), '1.00×', `producer ${decimal(bare.cores.get('bare producer') ?? Number.NaN, 2)}, kafka ${decimal(bare.cores.get('kafka') ?? Number.NaN, 2)}`],
          ['ingestor, highest rate published at all', integer(peak.published), ratio(peak.published / bare.perSecond), ''],
        ],
      },
    ];
    // What stopped the ramp: the lowest rate the ingestor did not keep up with (or the last step).
    const lastStep = [...steps].filter((step) => !sustained(step)).sort((a, b) => a.target - b.target)[0] ?? steps.at(-1)!;
    const limiter = simulatorFellShort(lastStep) ? `the simulator itself (it made ${integer(lastStep.made)} of ${integer(lastStep.target)} asked)` : `the ingestor (${decimal(lastStep.cores.get('ingestor') ?? Number.NaN, 2)} cores) at ${integer(lastStep.target)}/s asked`;
    finishReport({
      name: 'ingest',
      title: 'Tick ingest (bench:ingest)',
      tables,
      goals: [{ goal: `ingest ≥ ${percent(GOAL_SHARE_OF_BARE)} of the bare producer's rate`, measured: `${integer(ingestRate)} / ${integer(bare.perSecond)} = ${ratio(share)}`, status: goalStatus(share >= GOAL_SHARE_OF_BARE) }],
      limits: [
        `the ramp ended where the next step was limited by ${limiter}; every process shares ${availableParallelism()} cores with the Kafka broker`,
        'each tick is parsed from the simulator’s frame, validated, numbered and sent twice (market.ticks and the compacted market.last), and the newest tick per symbol of each batch goes to Redis; the bare loop only sends ready-made messages',
      ],
      problems,
      figures: { sustainedTicksPerSecond: ingestRate, bareTicksPerSecond: bare.perSecond, shareOfBare: share },
    });
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`\nbench:ingest failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
