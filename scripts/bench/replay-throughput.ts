/**
 * Replay throughput of the whole log beside the raw read rate of the same store, in one run, on
 * a generated log (deciders' events for many accounts; ~7 events per order):
 *
 *   - raw read: `readAll` pages, nothing done with the events (the floor for everything else);
 *   - replay, fold: every event folded into its stream's decider state (account, order);
 *   - replay, JSON Lines: every event formatted as `replay --jsonl` writes it (to memory);
 *   - the replay tool itself: `replay replay --jsonl <file>` as a separate process, start to end.
 *
 *   npm run bench:replay [-- --events 200000 --accounts 1000 --keep]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import { Command } from 'commander';
import { decimal, finishReport, integer, ratio } from './bench-report.ts';
import { selectEvents } from '../../application/audit/event-selection.ts';
import type { EventStore } from '../../application/event-store/event-store.ts';
import { accountDecider, type AccountEvent, type AccountState } from '../../domain/account/account.ts';
import { orderDecider, type OrderEvent, type OrderState } from '../../domain/order/order.ts';
import { jsonLine } from '../replay/replay-events-command.ts';
import { createBenchDatabase, generateHistory, settled } from './trading-history.ts';

const options = new Command()
  .description('replay throughput of the whole log beside the raw read rate of the same store')
  .option('--events <n>', 'approximate size of the generated log', '200000')
  .option('--accounts <n>', 'accounts trading in it', '1000')
  .option('--admin-url <url>', 'owner connection', process.env.DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres')
  .option('--keep', 'keep the generated database (its name is printed)')
  .parse()
  .opts<{ events: string; accounts: string; adminUrl: string; keep?: boolean }>();

const EVENTS_PER_ORDER = 7;

function bar(label: string, total: number): SingleBar {
  const progress = new SingleBar({ format: `${label.padEnd(28)} {bar} {value}/{total} events | {rate} ev/s`, hideCursor: true }, Presets.shades_classic);
  progress.start(total, 0, { rate: 0 });
  return progress;
}

/** Runs `pass` over the whole log with a progress bar; returns events and seconds. */
async function measure(label: string, total: number, pass: (tick: (events: number) => void) => Promise<number>): Promise<{ label: string; events: number; seconds: number }> {
  const progress = bar(label, total);
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
  const events = await pass((count) => progress.update(count, { rate: Math.round(count / Math.max(elapsed(), 1e-3)) }));
  const seconds = elapsed();
  progress.update(events, { rate: Math.round(events / seconds) });
  progress.stop();
  return { label, events, seconds };
}

async function rawRead(store: EventStore, tick: (events: number) => void): Promise<number> {
  let count = 0;
  for (let after = -1n; ; ) {
    const page = await store.readAll({ after, maxCount: 2_000 });
    if (page.length === 0) return count;
    count += page.length;
    after = page[page.length - 1]!.position;
    tick(count);
  }
}

async function replayFolding(store: EventStore, tick: (events: number) => void): Promise<number> {
  const accounts = new Map<string, AccountState>();
  const orders = new Map<string, OrderState>();
  let count = 0;
  for await (const event of selectEvents(store, {}, { onPage: ({ read }) => tick(read) })) {
    const message = { type: event.type, data: event.data };
    if (event.streamId.startsWith('account-')) accounts.set(event.streamId, accountDecider.evolve(accounts.get(event.streamId) ?? accountDecider.initialState, message as AccountEvent));
    else if (event.streamId.startsWith('order-')) orders.set(event.streamId, orderDecider.evolve(orders.get(event.streamId) ?? orderDecider.initialState, message as OrderEvent));
    count += 1;
  }
  return count;
}

async function replayJsonLines(store: EventStore, tick: (events: number) => void): Promise<number> {
  let count = 0;
  let bytes = 0;
  for await (const event of selectEvents(store, {}, { onPage: ({ read }) => tick(read) })) {
    bytes += jsonLine(event).length;
    count += 1;
  }
  if (bytes === 0 && count > 0) throw new Error('nothing formatted');
  return count;
}

const started = Date.now();
const database = await createBenchDatabase(options.adminUrl, 'replay', options.keep ?? false);
const accounts = Number(options.accounts);
const ordersPerAccount = Math.max(1, Math.round(Number(options.events) / EVENTS_PER_ORDER / accounts));
const rows: Array<{ label: string; events: number; seconds: number }> = [];
try {
  const generation = bar('generating the log', accounts * ordersPerAccount * EVENTS_PER_ORDER);
  const history = await generateHistory(database.store, { accounts, ordersPerAccount, onProgress: (events) => generation.update(events, { rate: '-' }) });
  generation.update(history.events);
  generation.stop();
  await settled(database.store);
  await database.analyze();
  const total = history.events;
  process.stderr.write(`log: ${total} events (${accounts} accounts, ${ordersPerAccount} orders each) in database ${database.name}, written in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

  await rawRead(database.store, () => undefined); // warm the cache: every pass below reads from memory alike
  rows.push(await measure('raw read (readAll pages)', total, (tick) => rawRead(database.store, tick)));
  rows.push(await measure('replay, fold every stream', total, (tick) => replayFolding(database.store, tick)));
  rows.push(await measure('replay, JSON Lines', total, (tick) => replayJsonLines(database.store, tick)));

  const directory = mkdtempSync(join(tmpdir(), 'tc-replay-'));
  const file = join(directory, 'log.jsonl');
  rows.push(
    await measure('replay tool --jsonl <file>', total, async (tick) => {
      execFileSync('node', ['--import', 'tsx', 'scripts/replay/main.ts', 'replay', '--jsonl', file, '--no-progress'], {
        env: { ...process.env, EVENT_STORE: 'postgres', DATABASE_URL: database.appUrl, LOG_LEVEL: 'error' },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      tick(total);
      return total;
    }),
  );
  const size = statSync(file).size;
  rmSync(directory, { recursive: true, force: true });

  const raw = rows[0]!.events / rows[0]!.seconds;
  const ratePer = (row: (typeof rows)[number]) => row.events / row.seconds;
  const fold = rows.find((row) => row.label.includes('fold'))!;
  finishReport({
    name: 'replay',
    title: 'Replay of the whole log (bench:replay)',
    tables: [
      {
        title: `Replay of the whole log (${total.toLocaleString('en-US')} events, PostgreSQL adapter, one reader, pages of 2,000; JSONL file ${(size / 1e6).toFixed(0)} MB)`,
        header: ['pass', 'events', 'seconds', 'events/s', 'of raw read'],
        rows: rows.map((row) => [row.label, integer(row.events), decimal(row.seconds, 2), integer(ratePer(row)), ratio(ratePer(row) / raw)]),
      },
    ],
    goals: [],
    limits: [
      'one reader on one connection: each page waits for the one before it; the raw read is the adapter reading pages and decoding rows, the baseline every other pass adds work to',
      `folding costs ${ratio(raw / ratePer(fold))} the raw read: every event is decoded from JSON and applied to its stream's state in this one process`,
    ],
    problems: [],
    figures: { rawEventsPerSecond: raw, foldEventsPerSecond: ratePer(fold) },
  });
  if (options.keep) console.log(`\nkept database ${database.name} (DATABASE_URL=${database.appUrl})`);
} finally {
  await database.drop();
}
