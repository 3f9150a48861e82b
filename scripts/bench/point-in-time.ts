/**
 * Point-in-time state of one long account (api.md, Audit; issue 6 asks < 1 s at 100,000 account
 * events): the time to answer at several instants of its history with the snapshot path and
 * without it (a fold from the stream's first event), in the same run, on the same database.
 *
 *   npm run bench:point-in-time [-- --account-events 100000 --every 5000 --repeat 5 --keep]
 */
import { Presets, SingleBar } from 'cli-progress';
import { Command } from 'commander';
import { isDeepStrictEqual } from 'node:util';
import { accountSnapshotter, DEFAULT_SNAPSHOT_EVERY } from '../../application/audit/account-snapshots.ts';
import type { Instant } from '../../application/audit/instant.ts';
import { accountStateAt, type AccountStateAt } from '../../application/audit/point-in-time.ts';
import { accountStreamId } from '../../domain/account/account.ts';
import { SqlAccountOrderIndex } from '../../infrastructure/audit/sql-account-order-index.ts';
import { SqlAccountSnapshotStore } from '../../infrastructure/audit/sql-account-snapshot-store.ts';
import { createLogger } from '../../infrastructure/logging/logger.ts';
import { PostgresSqlClient } from '../../infrastructure/persistence/postgres-client.ts';
import { Projector } from '../../infrastructure/projections/projector.ts';
import { accountOrderIndexProjection } from '../../projections/account-order-index/account-order-index-projection.ts';
import type { RowProjection } from '../../projections/row-projection.ts';
import { createBenchDatabase, generateHistory, settled } from './trading-history.ts';
import { decimal, finishReport, integer, ratio } from './bench-report.ts';

const options = new Command()
  .description('point-in-time account state on one long account, with and without snapshots')
  .option('--account-events <n>', 'events of the account stream', '100000')
  .option('--every <n>', 'a snapshot every n account events', String(DEFAULT_SNAPSHOT_EVERY))
  .option('--repeat <n>', 'answers timed per instant and path', '5')
  .option('--admin-url <url>', 'owner connection', process.env.DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres')
  .option('--keep', 'keep the generated database (its name is printed)')
  .parse()
  .opts<{ accountEvents: string; every: string; repeat: string; adminUrl: string; keep?: boolean }>();

const wanted = Number(options.accountEvents);
const every = Number(options.every);
const repeat = Math.max(1, Number(options.repeat));
/** Account events per order: hold, fill, release (a resting order: hold, release), a top-up every 100. */
const ACCOUNT_EVENTS_PER_ORDER = 2.99;

const seconds = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e9;

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = process.hrtime.bigint();
  const value = await work();
  return { value, ms: seconds(started) * 1000 };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const stateOnly = ({ rebuiltFrom: _how, ...state }: AccountStateAt) => state;

const database = await createBenchDatabase(options.adminUrl, 'pit', options.keep ?? false);
const readModels = PostgresSqlClient.connect(database.appUrl, { max: 4, applicationName: 'bench-point-in-time' });
try {
  const orders = Math.ceil(wanted / ACCOUNT_EVENTS_PER_ORDER);
  const generation = new SingleBar({ format: 'generating one account {bar} {value} events', hideCursor: true }, Presets.shades_classic);
  generation.start(Math.round(orders * 7), 0);
  let started = process.hrtime.bigint();
  const history = await generateHistory(database.store, { accounts: 1, ordersPerAccount: orders, onProgress: (events) => generation.update(events) });
  generation.stop();
  const head = await settled(database.store);
  await database.analyze();
  const accountId = history.accounts[0]!;
  const stream = accountStreamId(accountId);
  const [last] = await database.store.readStream(stream, { direction: 'backwards', maxCount: 1 });
  const accountEvents = Number(last!.revision + 1n);
  process.stderr.write(`log: ${history.events} events, ${accountEvents} of them on ${stream} (${orders} orders), written in ${seconds(started).toFixed(1)} s\n`);

  // What the projector process keeps current in the background: the order index and the snapshots.
  started = process.hrtime.bigint();
  const projector = new Projector({ store: database.store, db: readModels, projections: [accountOrderIndexProjection as unknown as RowProjection], logger: createLogger({ level: 'error', process: 'bench' }) });
  await projector.start();
  await projector.waitFor(head);
  await projector.stop();
  const indexSeconds = seconds(started);
  await database.analyze();
  const snapshots = new SqlAccountSnapshotStore(readModels);
  started = process.hrtime.bigint();
  const written = await accountSnapshotter({ store: database.store, snapshots, every })(accountId);
  const snapshotSeconds = seconds(started);
  const [size] = await readModels.query<{ bytes: string }>('SELECT pg_total_relation_size(\'account_snapshots\')::text AS bytes');
  process.stderr.write(
    `order index projected in ${indexSeconds.toFixed(1)} s; ${written} snapshots (every ${every} events) written in ${snapshotSeconds.toFixed(1)} s, ${(Number(size!.bytes) / 1e6).toFixed(1)} MB on disk\n`,
  );

  const orderIndex = new SqlAccountOrderIndex(readModels);
  const withSnapshots = accountStateAt({ store: database.store, orderIndex, snapshots, snapshotEvery: every });
  const fromFirstEvent = accountStateAt({ store: database.store, orderIndex });

  const eventAt = async (fraction: number) => (await database.store.readStream(stream, { fromRevision: BigInt(Math.min(accountEvents - 1, Math.floor(accountEvents * fraction))), maxCount: 1 }))[0]!;
  const instants: Array<{ label: string; instant: Instant }> = [];
  for (const fraction of [0.01, 0.25, 0.5, 0.999]) {
    const event = await eventAt(fraction);
    instants.push({ label: `position of revision ${event.revision}`, instant: { position: event.position } });
  }
  const timeEvent = await eventAt(0.75);
  instants.push({ label: `time of revision ${timeEvent.revision}`, instant: { time: timeEvent.recordedAt } });
  instants.push({ label: 'now (the head)', instant: { time: new Date() } });

  const rows: string[][] = [];
  const medians: Array<{ fast: number; slow: number }> = [];
  for (const { label, instant } of instants) {
    const fast: number[] = [];
    const slow: number[] = [];
    let answer: AccountStateAt | undefined;
    let reference: AccountStateAt | undefined;
    for (let i = 0; i < repeat; i += 1) {
      const a = await timed(() => withSnapshots(accountId, instant));
      const b = await timed(() => fromFirstEvent(accountId, instant));
      fast.push(a.ms);
      slow.push(b.ms);
      answer = a.value;
      reference = b.value;
    }
    if (!isDeepStrictEqual(stateOnly(answer!), stateOnly(reference!))) throw new Error(`the two paths disagree at ${label}`);
    const { snapshotRevision, accountEvents: folded, orderStreams } = answer!.rebuiltFrom;
    medians.push({ fast: median(fast), slow: median(slow) });
    rows.push([
      label,
      integer(answer!.account.version + 1),
      `${snapshotRevision ?? '-'} + ${folded}`,
      `${orderStreams} / ${answer!.openOrders.length}`,
      `${median(fast).toFixed(0)} (max ${Math.max(...fast).toFixed(0)})`,
      integer(reference!.rebuiltFrom.accountEvents),
      `${median(slow).toFixed(0)} (max ${Math.max(...slow).toFixed(0)})`,
      ratio(median(slow) / median(fast)),
    ]);
  }
  const worst = medians.reduce((most, entry) => (entry.fast > most.fast ? entry : most));
  finishReport({
    name: 'point-in-time',
    title: 'Point-in-time account state (bench:point-in-time)',
    tables: [
      {
        title: `Point-in-time state of one account with ${accountEvents.toLocaleString('en-US')} events (PostgreSQL, snapshots every ${every}; median of ${repeat} answers, ms)`,
        header: ['instant', 'account events then', 'with snapshots: snapshot + events folded', 'order streams read / open', 'with snapshots, ms', 'without: events folded', 'without, ms', 'speed-up'],
        rows,
      },
    ],
    goals: [],
    limits: [
      `with snapshots an answer folds at most ${every} account events after the nearest snapshot, plus one read per order stream the account had open; without them it folds the whole stream up to the instant (${decimal(worst.slow, 0)} ms where the snapshot path took ${decimal(worst.fast, 0)} ms)`,
    ],
    problems: [],
  });
  if (options.keep) console.log(`\nkept database ${database.name} (DATABASE_URL=${database.appUrl})`);
} finally {
  await readModels.close();
  await database.drop();
}
