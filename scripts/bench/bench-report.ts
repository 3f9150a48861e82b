import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './service-process.ts';

/** Where every benchmark script leaves its latest result, for `npm run bench:report` (BENCH_RESULTS_DIR elsewhere: the tests' short runs). */
export const RESULTS_DIR = process.env.BENCH_RESULTS_DIR ?? join(REPO_ROOT, '.run', 'bench', 'results');

export interface BenchTable {
  readonly title: string;
  readonly header: readonly string[];
  readonly rows: ReadonlyArray<readonly string[]>;
}

export type GoalStatus = 'met' | 'missed' | 'n/a';

export interface BenchGoal {
  readonly goal: string;
  readonly measured: string;
  readonly status: GoalStatus;
}

/** One benchmark run as the report shows it: its tables, its goals, and what limited it. */
export interface BenchReport {
  /** The script's short name (`orders`, `ingest`, …). */
  readonly name: string;
  readonly title: string;
  /** The command that produced it, settings included. */
  readonly command: string;
  readonly finishedAt: string;
  readonly durationSeconds: number;
  readonly tables: readonly BenchTable[];
  readonly goals: readonly BenchGoal[];
  /** What limits the figures, as measured in the run (CPU shares, saturation). */
  readonly limits: readonly string[];
  /** What measuring taught, beyond this run's figures (causes found, figures before a change). */
  readonly notes?: readonly string[];
  /** Why the run itself broke (errors, lost messages, a process that died); empty when it did not. */
  readonly problems: readonly string[];
  /** Headline figures by name, for other scripts and the report (e.g. the sustained tick rate). */
  readonly figures?: Readonly<Record<string, number>>;
  /** Where it ran (filled in by finishReport). */
  readonly machine?: MachineDescription;
}

export interface MachineDescription {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly node: string;
}

export function describeMachine(): MachineDescription {
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), memoryGiB: Math.round(totalmem() / 2 ** 30), kernel: `${type()} ${release()}`, node: process.version };
}

export const goalStatus = (met: boolean | undefined): GoalStatus => (met === undefined ? 'n/a' : met ? 'met' : 'missed');

export const integer = (value: number): string => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a');
export const decimal = (value: number, digits = 1): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
export const ratio = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a');
export const percent = (value: number): string => (Number.isFinite(value) ? `${Math.round(value * 100)} %` : 'n/a');

/** Prints the tables and goals as aligned text. */
export function printReport(report: BenchReport): void {
  for (const table of report.tables) {
    console.log(`\n${table.title}`);
    const widths = table.header.map((cell, column) => Math.max(cell.length, ...table.rows.map((row) => (row[column] ?? '').length)));
    const line = (cells: readonly string[]) => `  ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ')}`;
    console.log(line(table.header));
    console.log(`  ${widths.map((width) => '─'.repeat(width)).join('  ')}`);
    for (const row of table.rows) console.log(line(row));
  }
  if (report.goals.length > 0) {
    console.log('\nGoals');
    for (const goal of report.goals) console.log(`  ${goal.status === 'met' ? 'MET ' : goal.status === 'missed' ? 'MISS' : 'n/a '}  ${goal.goal.padEnd(58)} ${goal.measured}`);
  }
  if (report.limits.length > 0) {
    console.log('\nWhat limits the figures');
    for (const limit of report.limits) console.log(`  - ${limit}`);
  }
  if (report.notes && report.notes.length > 0) {
    console.log('\nNotes');
    for (const note of report.notes) console.log(`  - ${note}`);
  }
  if (report.problems.length > 0) {
    console.log('\nThe run broke:');
    for (const problem of report.problems) console.log(`  - ${problem}`);
  }
}

/** What a script measured; where, when, how long and with which command are filled in by finishReport. */
export type MeasuredReport = Omit<BenchReport, 'command' | 'finishedAt' | 'durationSeconds' | 'machine'>;

/** Prints the report, keeps it for bench:report, and sets the exit status: non-zero only when the run broke. */
export function finishReport(measured: MeasuredReport): void {
  const report: BenchReport = { ...measured, command: commandLine(measured.name), finishedAt: new Date().toISOString(), durationSeconds: process.uptime(), machine: describeMachine() };
  printReport(report);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${report.name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  process.exitCode = report.problems.length > 0 ? 1 : 0;
}

/** The latest report of one script, if it ran on this checkout. */
export function readReport(name: string): BenchReport | undefined {
  return readReports().find((report) => report.name === name);
}

export function readReports(): BenchReport[] {
  let files: string[];
  try {
    files = readdirSync(RESULTS_DIR).filter((file) => file.endsWith('.json'));
  } catch {
    return [];
  }
  return files.map((file) => JSON.parse(readFileSync(join(RESULTS_DIR, file), 'utf8')) as BenchReport);
}

/** The command line a script was started with, as `npm run bench:<name> -- …`. */
export function commandLine(name: string): string {
  const args = process.argv.slice(2);
  return `npm run bench:${name}${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`;
}
