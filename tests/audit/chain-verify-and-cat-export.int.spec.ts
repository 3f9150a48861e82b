import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderLifecycleRecord } from '../../application/audit/order-lifecycle-export.ts';
import { PostgresSqlClient } from '../../infrastructure/persistence/postgres-client.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-test-database.ts';
import { runReplay } from '../support/replay-cli.ts';
import { startTradingApp, type TradingApp } from '../support/trading-app.ts';
import { mixedWorkload, runStep, tradingSession } from '../support/trading-steps.ts';

describe('`replay chain-verify` and `replay cat-export` on a traded log', () => {
  let database: TestDatabase;
  let trading: TradingApp;
  let owner: PostgresSqlClient;

  const replay = (...args: string[]) => runReplay(database, ...args);

  beforeAll(async () => {
    database = await createTestDatabase('chain_cli');
    trading = await startTradingApp({ EVENT_STORE: 'postgres', DATABASE_URL: database.appUrl });
    owner = PostgresSqlClient.connect(database.adminUrl, { max: 1 });
    const accounts = Array.from({ length: 3 }, () => randomUUID());
    const session = tradingSession(trading, accounts);
    for (const step of mixedWorkload(accounts.length)) await runStep(session, step);
  }, 60_000);
  afterAll(async () => {
    await owner?.close();
    await trading?.close();
    await database?.drop();
  });

  it('exports the day\'s order lifecycle as JSONL and CSV, one record per new order, route, fill, cancel and rejection', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const jsonl = await replay('cat-export', '--date', today);
    expect(jsonl.code, jsonl.stderr).toBe(0);
    const records = jsonl.stdout.trim().split('\n').map((line) => JSON.parse(line) as OrderLifecycleRecord);
    const placed = await owner.query<{ count: string }>(`SELECT count(*)::text AS count FROM events WHERE type = 'OrderPlaced'`);
    expect(records.filter((record) => record.eventType === 'MENO')).toHaveLength(Number(placed[0]!.count));
    for (const record of records) expect(record.eventTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const orderIds = new Set(records.filter((record) => record.eventType === 'MENO').map((record) => record.orderId));
    expect(records.every((record) => orderIds.has(record.orderId))).toBe(true);

    const csv = await replay('cat-export', '--date', today, '--format', 'csv');
    expect(csv.stdout.split('\r\n').filter(Boolean)).toHaveLength(records.length + 1);
    expect((await replay('cat-export', '--date', 'yesterday')).code).toBe(2);
  });

  it('passes on the untouched log, and after a superuser changes one byte of one event fails naming that event', async () => {
    const intact = await replay('chain-verify');
    expect(intact.code, intact.stderr).toBe(0);
    expect(intact.stdout).toMatch(/chain intact: \d+ events checked/);

    const [target] = await owner.query<{ id: string; stream_id: string; revision: string }>(
      `SELECT id::text AS id, stream_id, revision::text AS revision FROM events WHERE type = 'OrderPlaced' ORDER BY position LIMIT 1`,
    );
    await owner.exec('ALTER TABLE events DISABLE TRIGGER events_no_update_delete');
    await owner.query(`UPDATE events SET data = jsonb_set(data, '{qty}', to_jsonb((data->>'qty')::int + 1)) WHERE id = $1`, [target!.id]);
    await owner.exec('ALTER TABLE events ENABLE TRIGGER events_no_update_delete');

    const broken = await replay('chain-verify');
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`BROKEN at stream ${target!.stream_id} revision ${target!.revision} (event ${target!.id}`);
    expect((await replay('chain-verify', '--category', 'account')).code).toBe(0);
  });
});
