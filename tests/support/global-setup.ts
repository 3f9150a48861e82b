import { execFileSync } from 'node:child_process';
import { buildConsoleIfStale } from './processes.ts';

/**
 * Brings up the real services the suite talks to (PostgreSQL, Redis, Kafka) with the same
 * script the local distributed mode uses. A service that cannot start fails the run, naming it.
 * Then builds the web console when stale (once, before any test process serves it) and makes
 * sure of the browser its tests drive (Debian's chromium): installed when missing and this is
 * root, else the browser tests say why they are skipped.
 */
export default function setup(): void {
  if (process.env.TEST_SERVICES !== 'external') {
    try {
      execFileSync('bash', ['scripts/services/up.sh'], { stdio: 'inherit' });
    } catch {
      throw new Error('scripts/services/up.sh could not bring up the test services; its output above says which and why');
    }
  }
  buildConsoleIfStale();
  try {
    execFileSync('bash', ['scripts/services/chromium.sh', 'start'], { stdio: 'inherit' });
  } catch {
    throw new Error('scripts/services/chromium.sh could not install chromium for the browser tests; its output above says why');
  }
}
