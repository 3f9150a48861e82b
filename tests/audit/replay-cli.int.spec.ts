import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEventJson } from '../../application/audit/audit-json.ts';
import { accountStreamId } from '../../domain/account/account.ts';
import { createTestDatabase, TEST_ADMIN_URL, type TestDatabase } from '../support/postgres-test-database.ts';
import { bearer, startTradingApp, type TradingApp } from '../support/trading-app.ts';
import { mixedWorkload, runStep, tradingSession } from '../support/trading-steps.ts';

const execute = promisify(execFile);

describe('`npm run replay -- replay | state | rebuild` against PostgreSQL', () => {
  let database: TestDatabase;
  let trading: TradingApp;
  let accounts: string[];
  let directory: string;

  async function replay(...args: string[]): Promise<string> {
    const env = { ...process.env, EVENT_STORE: 'postgres', DATABASE_URL: database.appUrl, DATABASE_ADMIN_URL: TEST_ADMIN_URL, LOG_LEVEL: 'silent' };
    const { stdout } = await execute('node', ['--import', 'tsx', 'scripts/replay/main.ts', ...args], { env, timeout: 60_000 });
    return stdout;
  }

  const jsonLines = (text: string): AuditEventJson[] => text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as AuditEventJson);

  beforeAll(async () => {
    database = await createTestDatabase('replaycli');
    trading = await startTradingApp({ EVENT_STORE: 'postgres', DATABASE_URL: database.appUrl });
    accounts = [randomUUID(), randomUUID()];
    const session = tradingSession(trading, accounts);
    for (const step of mixedWorkload(accounts.length)) await runStep(session, step);
    const [last] = await trading.readModels.query<{ position: string }>('SELECT max(position)::text AS position FROM events');
    while ((await trading.store.headPosition()) < BigInt(last!.position)) await new Promise((resolve) => setTimeout(resolve, 20));
    await trading.projector!.waitFor(BigInt(last!.position));
    directory = mkdtempSync(join(tmpdir(), 'tc-replay-test-'));
  }, 60_000);
  afterAll(async () => {
    rmSync(directory, { recursive: true, force: true });
    await trading?.close();
    await database?.drop();
  });

  it('given the whole log, when replayed as JSON Lines to a file, then every event is there once, in order, positions and revisions as strings', async () => {
    const file = join(directory, 'log.jsonl');
    await replay('replay', '--jsonl', file, '--no-progress');
    const events = jsonLines(readFileSync(file, 'utf8'));
    const [count] = await trading.readModels.query<{ n: string }>('SELECT count(*)::text AS n FROM events');
    expect(events).toHaveLength(Number(count!.n));
    expect(typeof events[0]!.position).toBe('string');
    expect(typeof events[0]!.revision).toBe('string');
    const positions = events.map((event) => BigInt(event.position));
    expect(positions.every((position, i) => i === 0 || position > positions[i - 1]!)).toBe(true);
  });

  it('given a stream, a category, types and bounds, when replayed, then only what they select comes out', async () => {
    const stream = accountStreamId(accounts[0]!);
    const ofStream = jsonLines(await replay('replay', '--stream', stream, '--jsonl'));
    expect(ofStream.map((event) => event.revision)).toEqual(ofStream.map((_, i) => String(i)));
    expect(ofStream.every((event) => event.streamId === stream)).toBe(true);

    const placed = jsonLines(await replay('replay', '--category', 'order', '--type', 'OrderPlaced,OrderCanceled', '--jsonl'));
    expect(placed.length).toBeGreaterThan(0);
    expect(placed.every((event) => event.streamId.startsWith('order-') && ['OrderPlaced', 'OrderCanceled'].includes(event.type))).toBe(true);

    const [, second, third] = ofStream;
    const bounded = jsonLines(await replay('replay', '--stream', stream, '--from-position', second!.position, '--to-position', third!.position, '--jsonl'));
    expect(bounded.map((event) => event.id)).toEqual([second!.id, third!.id]);

    const byTime = jsonLines(await replay('replay', '--stream', stream, '--to', ofStream[0]!.recordedAt, '--jsonl'));
    expect(byTime.map((event) => event.id)).toContain(ofStream[0]!.id);
    expect(byTime.every((event) => event.recordedAt <= ofStream[0]!.recordedAt)).toBe(true);

    const text = await replay('replay', '--stream', stream, '--type', 'FundsDeposited');
    expect(text.trim().split('\n')).toHaveLength(1);
    expect(text).toMatch(new RegExp(`^\\s*${ofStream[0]!.position}  \\S+  ${stream}@0  FundsDeposited  \\{`));
  });

  it('given an account, when its state is asked at a position, then the tool answers what the audit API answers', async () => {
    const events = jsonLines(await replay('replay', '--stream', accountStreamId(accounts[1]!), '--jsonl'));
    const at = events[Math.floor(events.length / 2)]!.position;
    const fromTool = JSON.parse(await replay('state', '--account', accounts[1]!, '--at', at, '--json'));
    const fromApi = await trading.app.inject({ method: 'GET', url: `/v1/audit/accounts/${accounts[1]}/state?at=${at}`, headers: bearer(randomUUID(), 'auditor') });
    expect(fromTool).toEqual(fromApi.json());
    const text = await replay('state', '--account', accounts[1]!, '--at', at);
    expect(text).toContain(`account ${accounts[1]} as of position ${at}`);
    expect(text).toMatch(/open orders \(\d+\)/);
  });

  it('given bad arguments, when run, then it says which and exits 2 or 1', async () => {
    await expect(replay('state', '--account', 'nope', '--at', '1')).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('an account id is a UUID') });
    await expect(replay('replay', '--stream', 'a', '--category', 'b')).rejects.toMatchObject({ stderr: expect.stringContaining('cannot be used with') });
    await expect(replay('state', '--account', randomUUID(), '--at', '1')).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('has no events') });
    await expect(replay('rebuild', 'nothing')).rejects.toMatchObject({ stderr: expect.stringContaining('Allowed choices') });
  });

  it('given a read model, when rebuilt with --keep by the tool, then the copy stands beside the live table', async () => {
    const stdout = await replay('rebuild', 'accounts', '--keep');
    expect(stdout).toMatch(/^accounts: \d+ events replayed into accounts__rebuild up to position \d+ \(kept beside the live table\)$/m);
  });
});
