import { execFileSync } from 'node:child_process';

/**
 * Brings up the real services the suite talks to (PostgreSQL, Redis, Kafka) with the same
 * script the local distributed mode uses. A service that cannot start fails the run, naming it.
 */
export default function setup(): void {
  if (process.env.TEST_SERVICES === 'external') return;
  try {
    execFileSync('bash', ['scripts/services/up.sh'], { stdio: 'inherit' });
  } catch {
    throw new Error('scripts/services/up.sh could not bring up the test services; its output above says which and why');
  }
}
