/**
 * Append throughput of the PostgreSQL event-store adapter (single-event appends to distinct
 * streams) beside the physical floor of durable writes on the same database: plain one-row
 * `INSERT` transactions from the same client stack, and from pgbench when it is installed.
 *
 *   npm run bench:append [-- --seconds 10 --concurrency 1,16]
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import { Command } from 'commander';
import pg from 'pg';
import { openPostgresEventStore } from '../../infrastructure/event-store/postgres/postgres-event-store.ts';
import { setUpPostgres } from '../../infrastructure/persistence/postgres-setup.ts';
import { plainInsertRate, preparePlainInserts, ratePerSecond } from './plain-inserts.ts';
import { finishReport, goalStatus, integer, ratio, type BenchGoal } from './bench-report.ts';

const options = new Command()
  .option('--seconds <n>', 'measuring time of each run', '10')
  .option('--concurrency <list>', 'writer counts to measure', '1,16')
  .option('--admin-url <url>', 'owner connection', process.env.DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres')
  .parse()
  .opts<{ seconds: string; concurrency: string; adminUrl: string }>();
const seconds = Number(options.seconds);
const concurrencies = options.concurrency.split(',').map(Number);

const database = `tc_bench_${randomUUID().slice(0, 8)}`;
const server = new URL(options.adminUrl);
const appUrl = `postgres://trading_core_app@${server.host}/${database}`;
const adminOnDatabase = new URL(options.adminUrl);
adminOnDatabase.pathname = `/${database}`;

/** A measurement of `seconds` under a progress bar. */
async function withProgress(label: string, run: (onProgress: (operations: number, elapsedSeconds: number) => void) => Promise<number>): Promise<number> {
  const bar = new SingleBar({ format: `${label.padEnd(34)} {bar} {value}/{total} s | {ops} ops`, hideCursor: true }, Presets.shades_classic);
  bar.start(seconds, 0, { ops: 0 });
  try {
    return await run((operations, elapsed) => bar.update(Math.min(seconds, Math.floor(elapsed)), { ops: operations }));
  } finally {
    bar.update(seconds);
    bar.stop();
  }
}

function pgbenchRate(workers: number): number | undefined {
  try {
    const dir = mkdtempSync(join(tmpdir(), 'tc-pgbench-'));
    const script = join(dir, 'insert.sql');
    writeFileSync(script, "INSERT INTO plain_inserts (id, payload) VALUES (gen_random_uuid(), '{\"amountCents\": 1250}');\n");
    process.stderr.write(`pgbench, ${workers} client(s), ${seconds} s …\n`);
    const output = execFileSync(
      'pgbench',
      ['-n', '-f', script, '-c', String(workers), '-j', String(Math.min(workers, 2)), '-T', String(seconds), adminOnDatabase.toString()],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const match = /tps = ([\d.]+)/.exec(output);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

await setUpPostgres(options.adminUrl, appUrl);
await preparePlainInserts(adminOnDatabase.toString());
const admin = new pg.Client({ connectionString: adminOnDatabase.toString() });
await admin.connect();
const settings = await admin.query(`SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'wal_sync_method', 'commit_delay')`);

const rows: Array<{ writers: number; appends: number; inserts: number; pgbench?: number }> = [];
try {
  for (const writers of concurrencies) {
    const store = await openPostgresEventStore({ connectionString: appUrl, poolSize: writers });
    const appends = await withProgress(`event store append, ${writers} writer(s)`, (onProgress) =>
      ratePerSecond(writers, seconds, async () => {
        await store.append(`bench-${randomUUID()}`, [{ id: randomUUID(), type: 'Deposited', data: { amountCents: 1250 }, metadata: { correlationId: randomUUID(), causationId: randomUUID(), principal: 'system:bench' } }], 'no_stream');
      }, onProgress),
    );
    await store.close();

    const inserts = await withProgress(`plain INSERT … COMMIT, ${writers} writer(s)`, (onProgress) => plainInsertRate(appUrl, writers, seconds, onProgress));
    rows.push({ writers, appends, inserts, pgbench: pgbenchRate(writers) });
  }
} finally {
  await admin.end();
  const cleanup = new pg.Client({ connectionString: options.adminUrl });
  await cleanup.connect();
  await cleanup.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await cleanup.end();
}

const goals: BenchGoal[] = rows.map((row) => ({ goal: `appends/s ≥ 50 % of plain INSERT/s, ${row.writers} writer(s)`, measured: `${integer(row.appends)} / ${integer(row.inserts)} = ${ratio(row.appends / row.inserts)}`, status: goalStatus(row.appends / row.inserts >= 0.5) }));
finishReport({
  name: 'append',
  title: 'Event-store appends (bench:append)',
  tables: [
    {
      title: `PostgreSQL append throughput (${seconds} s per run; ${settings.rows.map((row) => `${row.name}=${row.setting}`).join(', ')})`,
      header: ['writers', 'appends/s', 'plain INSERT/s (node-postgres)', 'ratio', 'pgbench INSERT tps', 'ratio to pgbench'],
      rows: rows.map((row) => [String(row.writers), integer(row.appends), integer(row.inserts), ratio(row.appends / row.inserts), row.pgbench === undefined ? 'n/a' : integer(row.pgbench), row.pgbench ? ratio(row.appends / row.pgbench) : 'n/a']),
    },
  ],
  goals,
  limits: [
    'an append is one call of the append function: the stream\'s advisory lock, the expected-revision check, the hash chain and the insert, in a transaction that waits for its commit to reach the disk; concurrent appends share one commit (group commit), which is why the ratio grows with the writers',
  ],
  problems: [],
});
