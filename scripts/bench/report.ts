/**
 * Runs every benchmark script with its default settings, one after another on a quiet machine,
 * and writes docs/benchmarks.md from what they measured: the method, the machine, the commands,
 * the latest figures with their baselines and ratios, the goals, and what limits each figure.
 *
 *   npm run bench:report                      every benchmark, then the page
 *   npm run bench:report -- --only orders,ingest
 *   npm run bench:report -- --render-only     the page from the latest results kept in .run/bench/results
 *
 * Needs PostgreSQL, Redis and Kafka (`npm run services:up`). A benchmark whose run broke is shown
 * as broken on the page, and this command then exits 1.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { readReports, type BenchReport, type BenchTable } from './bench-report.ts';
import { REPO_ROOT } from './service-process.ts';

/** Every benchmark script, in the order they run (the stack last but one: it reads the ingest result). */
const BENCHMARKS = [
  { name: 'append', what: 'event-store appends beside plain INSERT … COMMIT on the same database', baseline: 'plain one-row INSERT … COMMIT (node-postgres; pgbench beside it)' },
  { name: 'replay', what: 'replay of the whole log: fold, JSON Lines, the replay tool', baseline: 'the raw read rate of the same store' },
  { name: 'point-in-time', what: 'point-in-time state of one long account at several instants', baseline: 'the same answers without snapshots' },
  { name: 'orders', what: 'orders through the HTTP API of the local distributed mode, open and closed loop', baseline: 'plain one-row INSERT … COMMIT at the same concurrency, on the same database' },
  { name: 'ingest', what: 'ticks from the simulator through the ingestor into Kafka, ramped', baseline: 'a bare kafkajs producer loop on the same broker' },
  { name: 'stack', what: 'the whole stack: 5,000 Zipf symbols, 10,000 sockets on two fan-outs, orders flowing', baseline: 'none: the figures of one loaded machine, CPU by component' },
  { name: 'fanout', what: 'one fan-out process, 10,000 sockets × 20 Zipf symbols, 20,000 ticks/s through Kafka', baseline: 'the same hub on the ws package' },
  { name: 'soak', what: 'a long `npm start`: the embedded mode\'s resident memory over 30 minutes with a trickle of orders', baseline: 'none: judged against flat (the figures before the memory bounds are in its notes)' },
] as const;

const options = new Command()
  .description('run every benchmark and write docs/benchmarks.md')
  .option('--only <names>', `run only these (comma-separated: ${BENCHMARKS.map((bench) => bench.name).join(', ')}); the page shows the latest result of every one`)
  .option('--render-only', 'run nothing: write the page from the latest results')
  .option('--out <file>', 'where the page goes', join(REPO_ROOT, 'docs', 'benchmarks.md'))
  .parse()
  .opts<{ only?: string; renderOnly?: boolean; out: string }>();

function runBenchmarks(): string[] {
  const only = options.only?.split(',').map((name) => name.trim());
  const unknown = only?.filter((name) => !BENCHMARKS.some((bench) => bench.name === name)) ?? [];
  if (unknown.length > 0) throw new Error(`no benchmark called ${unknown.join(', ')}`);
  const selected = BENCHMARKS.filter((bench) => !only || only.includes(bench.name));
  const failed: string[] = [];
  selected.forEach((bench, index) => {
    const started = Date.now();
    process.stdout.write(`\n[bench:report] ${index + 1}/${selected.length}: npm run bench:${bench.name}\n`);
    const status = spawnSync('npm', ['run', '--silent', `bench:${bench.name}`], { cwd: REPO_ROOT, stdio: 'inherit' }).status;
    process.stdout.write(`[bench:report] bench:${bench.name} ${status === 0 ? 'finished' : `FAILED (exit ${status})`} in ${((Date.now() - started) / 1_000).toFixed(0)} s\n`);
    if (status !== 0) failed.push(bench.name);
  });
  return failed;
}

function version(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n')[0]!;
  } catch {
    return 'unknown';
  }
}

function services(): string[] {
  const kafka = /<kafka.version>(.*)<\/kafka.version>/.exec(readFileSync(join(REPO_ROOT, 'scripts/services/kafka/pom.xml'), 'utf8'))?.[1] ?? 'unknown';
  const postgres = version('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-Atc', "SELECT version() || ' — fsync=' || current_setting('fsync') || ', synchronous_commit=' || current_setting('synchronous_commit') || ', shared_buffers=' || current_setting('shared_buffers')"]);
  return [`PostgreSQL: ${postgres}`, `Redis: ${version('redis-server', ['--version'])}`, `Kafka: ${kafka} (KRaft, one broker, from Maven Central's jars)`];
}

const cell = (value: string) => value.replace(/\|/g, '\\|');

function markdownTable(table: BenchTable): string {
  const align = table.header.map((_, column) => (column === 0 ? ':---' : '---:'));
  return [`| ${table.header.map(cell).join(' | ')} |`, `| ${align.join(' | ')} |`, ...table.rows.map((row) => `| ${row.map(cell).join(' | ')} |`)].join('\n');
}

function section(bench: (typeof BENCHMARKS)[number], report: BenchReport | undefined): string {
  const lines = [`## ${bench.name}: ${bench.what}`, ''];
  if (!report) return [...lines, `Not run on this checkout yet: \`npm run bench:${bench.name}\` (or \`npm run bench:report -- --only ${bench.name}\`).`, ''].join('\n');
  lines.push(`\`${report.command}\` — ${report.finishedAt.replace('T', ' ').slice(0, 16)} UTC, ${Math.round(report.durationSeconds)} s. Baseline: ${bench.baseline}.`, '');
  if (report.problems.length > 0) lines.push('**The run broke:**', '', ...report.problems.map((problem) => `- ${problem}`), '');
  for (const table of report.tables) lines.push(`**${table.title}**`, '', markdownTable(table), '');
  if (report.goals.length > 0) {
    lines.push('Goals:', '', '| goal | measured | status |', '| :--- | ---: | :---: |', ...report.goals.map((goal) => `| ${cell(goal.goal)} | ${cell(goal.measured)} | ${goal.status} |`), '');
  }
  if (report.limits.length > 0) lines.push('What limits the figures:', '', ...report.limits.map((limit) => `- ${limit}`), '');
  if (report.notes && report.notes.length > 0) lines.push('Notes:', '', ...report.notes.map((note) => `- ${note}`), '');
  return lines.join('\n');
}

function summaryRows(reports: ReadonlyMap<string, BenchReport>): string {
  const rows = BENCHMARKS.map((bench) => {
    const report = reports.get(bench.name);
    if (!report) return `| ${bench.name} | not run yet | | |`;
    const goals = report.goals.length === 0 ? 'no goal set' : report.goals.map((goal) => `${goal.status}: ${goal.goal} (${goal.measured})`).join('; ');
    return `| ${bench.name} | ${cell(bench.baseline)} | ${cell(goals)} | ${report.problems.length > 0 ? '**broke**' : 'ok'} |`;
  });
  return ['| benchmark | baseline (same run) | goals | run |', '| :--- | :--- | :--- | :---: |', ...rows].join('\n');
}

function render(): BenchReport[] {
  const reports = new Map(readReports().map((report) => [report.name, report]));
  const newest = [...reports.values()].sort((a, b) => b.finishedAt.localeCompare(a.finishedAt))[0];
  const machine = newest?.machine;
  const otherMachines = [...reports.values()].filter((report) => report.machine && machine && JSON.stringify(report.machine) !== JSON.stringify(machine)).map((report) => report.name);
  const page = [
    '# Benchmarks',
    '',
    '<!-- Written by `npm run bench:report` from the latest result of every benchmark script; edit scripts/bench/report.ts, not this page. -->',
    '',
    `Regenerate: \`npm run services:up && npm run bench:report\` (about 45 minutes, 30 of them the soak; \`-- --only <names>\` reruns some, \`-- --render-only\` rewrites this page from the kept results). Every figure below was measured by a script that prints it, beside its baseline measured in the same run on the same machine; no test asserts a speed.`,
    '',
    '## Method',
    '',
    '- Every component runs as its own process, started the way `bin/trading-core` starts it (the local distributed mode), against the real PostgreSQL, Redis and Kafka of the machine. Each run gets a database, Kafka topics (`KAFKA_TOPIC_PREFIX`) and Redis keys of its own and removes them afterwards.',
    '- Load generators are processes of their own, so their CPU is not the server\'s and is reported beside it. CPU per component comes from `/proc` (user + system), over the measured window only.',
    '- Open loop (bench:orders, bench:stack): each order is due at a fixed time whether or not earlier ones were answered, and its latency counts from when it was due — a stall shows as latency, not as fewer requests. Closed loop: a fixed number of senders, each waiting for its answer.',
    '- "Ack → read model" is the time from an order\'s acknowledgement until every read model has applied its `X-Position` (the checkpoint `X-Min-Position` waits on), polled every 5 ms.',
    '- Tick-to-client latency counts from the timestamp the simulated exchange (or the tick generator) put on the tick to the moment the socket client read it: the ingestor, Kafka, the fan-out\'s conflation window (100 ms) and the send are all in it.',
    '- A script exits non-zero only when its run broke (an order refused or lost, a tick lost between stages, a process that died); a slow figure is reported as a missed goal, never as a failure.',
    '',
    '## Machine',
    '',
    machine ? `- ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB; ${machine.kernel}; Node ${machine.node}` : '- no result yet',
    ...services().map((line) => `- ${line}`),
    '- Everything — the services, every trading-core process and the load generators — shares these cores; no figure here is of a dedicated server.',
    ...(otherMachines.length > 0 ? [`- Measured on another machine: ${otherMachines.join(', ')} (see each section's date).`] : []),
    '',
    '## Summary',
    '',
    summaryRows(reports),
    '',
    ...BENCHMARKS.map((bench) => section(bench, reports.get(bench.name))),
  ].join('\n');
  writeFileSync(options.out, `${page.trimEnd()}\n`);
  process.stdout.write(`\n[bench:report] wrote ${options.out} (${reports.size} of ${BENCHMARKS.length} benchmarks have a result)\n`);
  return [...reports.values()];
}

const failed = options.renderOnly ? [] : runBenchmarks();
const reports = render();
const broken = reports.filter((report) => report.problems.length > 0).map((report) => report.name);
if (failed.length > 0 || broken.length > 0) {
  process.stderr.write(`[bench:report] broken runs: ${[...new Set([...failed, ...broken])].join(', ')}\n`);
  process.exit(1);
}
