import { randomBytes } from 'node:crypto';
import { dropDatabase, setUpPostgres } from '../../infrastructure/persistence/postgres-setup.ts';

export const BENCH_ADMIN_URL = process.env.DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A migrated database of the run's own, reached as the application role. */
export async function createBenchDatabase(label: string, adminUrl = BENCH_ADMIN_URL): Promise<{ readonly appUrl: string; drop(): Promise<void> }> {
  const name = `tc_bench_${label}_${randomBytes(4).toString('hex')}`;
  const appUrl = `postgres://trading_core_app@${new URL(adminUrl).host}/${name}`;
  await setUpPostgres(adminUrl, appUrl);
  return { appUrl, drop: () => dropDatabase(adminUrl, name) };
}
