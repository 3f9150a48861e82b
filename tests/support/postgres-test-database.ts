import { randomUUID } from 'node:crypto';
import { dropDatabase, setUpPostgres } from '../../infrastructure/persistence/postgres-setup.ts';

export const TEST_ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_APP_ROLE = 'trading_core_app';

export interface TestDatabase {
  readonly name: string;
  /** Connects as the application role. */
  readonly appUrl: string;
  /** Connects as the owner (a superuser here). */
  readonly adminUrl: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database of its own for one test file. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `tc_test_${label}_${randomUUID().slice(0, 8)}`;
  const server = new URL(TEST_ADMIN_URL);
  const appUrl = `postgres://${TEST_APP_ROLE}@${server.host}/${name}`;
  await setUpPostgres(TEST_ADMIN_URL, appUrl);
  const adminUrl = new URL(TEST_ADMIN_URL);
  adminUrl.pathname = `/${name}`;
  return {
    name,
    appUrl,
    adminUrl: adminUrl.toString(),
    drop: () => dropDatabase(TEST_ADMIN_URL, name),
  };
}
