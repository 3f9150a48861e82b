import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../../scripts/bench/bench-report.ts';

const results = mkdtempSync(join(tmpdir(), 'tc-bench-results-'));

/** Runs a benchmark script as `npm run bench:<name>` would, with short settings. */
function runBenchmark(name: string, args: string[]): Promise<{ code: number | null; output: string; report: BenchReport }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['tsx', `scripts/bench/${name}.ts`, ...args], { env: { ...process.env, BENCH_RESULTS_DIR: results }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      try {
        resolve({ code, output, report: JSON.parse(readFileSync(join(results, `${name}.json`), 'utf8')) as BenchReport });
      } catch (error) {
        reject(new Error(`bench:${name} left no result (exit ${code}):\n${output}`, { cause: error }));
      }
    });
  });
}

/**
 * Short, bounded runs of the load benchmarks (the full ones are `npm run bench:*`): the harness
 * starts the local distributed mode, drives it, and finds nothing lost — every accepted order in
 * the read models, every tick the exchange sent in Kafka — or the script fails.
 */
describe('benchmark scripts, short runs', () => {
  afterAll(() => rmSync(results, { recursive: true, force: true }));

  it('bench:orders places orders open- and closed-loop through the API processes, loses none, and reports against plain inserts', async () => {
    const { code, output, report } = await runBenchmark('orders', ['--rates', '40', '--concurrency', '4', '--seconds', '2', '--warmup', '1', '--accounts', '10']);
    expect(code, output).toBe(0);
    expect(report.problems).toEqual([]);
    expect(output).toContain('Orders through the HTTP API');
    const [phases] = report.tables;
    expect(phases!.rows.map((row) => row[0])).toEqual(['open loop, 40/s offered', 'closed loop, 4 senders']);
    // Accepted orders per second are figures of the run, never zero.
    for (const row of phases!.rows) expect(Number(row[1]!.replace(/,/g, ''))).toBeGreaterThan(0);
    expect(report.goals.map((goal) => goal.status).every((status) => status === 'met' || status === 'missed')).toBe(true);
  }, 180_000);

  it('bench:ingest ramps ticks through the ingestor into Kafka, loses none, and reports against the bare producer', async () => {
    const { code, output, report } = await runBenchmark('ingest', ['--step-seconds', '1', '--settle-seconds', '1', '--start-rate', '2000', '--max-rate', '4000', '--step-factor', '2', '--bare-seconds', '1']);
    expect(code, output).toBe(0);
    expect(report.problems).toEqual([]);
    expect(report.figures?.sustainedTicksPerSecond).toBeGreaterThan(1_000);
    expect(output).toContain('Ingest against the bare producer');
  }, 180_000);

  it("bench:soak: once its retention windows are full, the embedded mode's memory outside the V8 heap stops growing", async () => {
    // A 2-minute soak cannot wait for the default windows (5 min of 1s, 10 min of 1m candles) to
    // fill, so it shortens them to fill within the first minute, and looks at the second.
    const windows = ['CANDLES_1S_RETENTION_MS=15000', 'CANDLES_1M_RETENTION_MS=60000', 'CANDLES_PRUNE_EVERY_MS=2000', 'PGLITE_MAINTENANCE_EVERY_MS=5000'];
    const { code, output, report } = await runBenchmark('soak', ['--minutes', '2', '--sample-seconds', '2', '--set', ...windows]);
    expect(code, output).toBe(0);
    expect(report.problems).toEqual([]);
    expect(report.figures?.rssAt1MinuteMB).toBeGreaterThan(100);
    // PGlite lives outside the V8 heap (WebAssembly memory, its in-memory files); the heap itself
    // swings by tens of MB between collections, more than any trend a minute could show. Unbounded
    // (no VACUUM, no CHECKPOINT) this part grew about 40 MB a minute.
    expect(report.figures?.outsideHeapGrowthMBPerMinute).toBeLessThan(10);
  }, 300_000);
});
