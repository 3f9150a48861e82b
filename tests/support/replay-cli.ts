import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { TEST_ADMIN_URL, type TestDatabase } from './postgres-test-database.ts';

const execute = promisify(execFile);

export interface ReplayRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `npm run replay -- <args>`, as an auditor runs it: a process of its own against the test database. */
export async function runReplay(database: TestDatabase, ...args: string[]): Promise<ReplayRun> {
  const env = { ...process.env, EVENT_STORE: 'postgres', DATABASE_URL: database.appUrl, DATABASE_ADMIN_URL: TEST_ADMIN_URL, LOG_LEVEL: 'silent' };
  try {
    const { stdout, stderr } = await execute('node', ['--import', 'tsx', 'scripts/replay/main.ts', ...args], { env, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}
