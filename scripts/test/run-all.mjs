// The whole test suite: typecheck, lint, then every vitest tier (unit, int, e2e) against the real
// services that tests/support/global-setup.ts brings up. Ends with one summary line:
//   tests: N passed, N failed, N skipped
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

const results = '.run/vitest-results.json';
mkdirSync('.run', { recursive: true });
rmSync(results, { force: true });

const run = (label, command, args) => {
  process.stderr.write(`\n[test] ${label}: ${command} ${args.join(' ')}\n`);
  return spawnSync(command, args, { stdio: 'inherit' }).status ?? 1;
};

const checks = [
  ['typecheck', run('typecheck', 'npx', ['tsc', '--noEmit'])],
  ['lint', run('lint', 'npx', ['eslint', '--max-warnings=0', '.'])],
];
const vitestStatus = run('tests', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${results}`, ...process.argv.slice(2)]);

const report = existsSync(results) ? JSON.parse(readFileSync(results, 'utf8')) : undefined;
if (!report) process.stderr.write('[test] vitest wrote no results: it failed before running tests (see above)\n');
const passed = report?.numPassedTests ?? 0;
const skipped = report ? report.numPendingTests + report.numTodoTests : 0;
// A run that broke outside any test (set-up, an unhandled error) counts as one failure.
let failed = report?.numFailedTests ?? 0;
if (vitestStatus !== 0 && failed === 0) failed = 1;
for (const [name, status] of checks) {
  if (status !== 0) {
    failed += 1;
    process.stderr.write(`[test] ${name} failed (counted as one failed test)\n`);
  }
}
if (!process.env.EVENTSTORE_URL) {
  process.stdout.write('[test] note: the EventStoreDB contract suite did not run (EVENTSTORE_URL is not set)\n');
}
process.stdout.write(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(failed > 0 || vitestStatus !== 0 ? 1 : 0);
