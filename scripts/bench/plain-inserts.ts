import { randomUUID } from 'node:crypto';
import pg from 'pg';

/**
 * The physical floor of durable writes on a database: one-row `INSERT … COMMIT` transactions
 * from `writers` connections of the same client stack (node-postgres), each waiting for its
 * commit — what any durable write path pays at least.
 */
export async function preparePlainInserts(ownerUrl: string, appRole = 'trading_core_app'): Promise<void> {
  const admin = new pg.Client({ connectionString: ownerUrl });
  await admin.connect();
  try {
    await admin.query('CREATE TABLE IF NOT EXISTS plain_inserts (id uuid PRIMARY KEY, payload jsonb NOT NULL)');
    await admin.query(`GRANT SELECT, INSERT ON plain_inserts TO ${pg.escapeIdentifier(appRole)}`);
  } finally {
    await admin.end();
  }
}

/** Runs `work` from `workers` loops until `seconds` are up; returns operations per second. */
export async function ratePerSecond(workers: number, seconds: number, work: (worker: number) => Promise<void>, onProgress: (operations: number, elapsedSeconds: number) => void = () => undefined): Promise<number> {
  let operations = 0;
  const started = performance.now();
  const deadline = started + seconds * 1_000;
  const ticker = setInterval(() => onProgress(operations, (performance.now() - started) / 1_000), 250);
  try {
    await Promise.all(
      Array.from({ length: workers }, async (_, worker) => {
        while (performance.now() < deadline) {
          await work(worker);
          operations += 1;
        }
      }),
    );
  } finally {
    clearInterval(ticker);
  }
  return operations / ((performance.now() - started) / 1_000);
}

/** Plain one-row INSERT transactions per second from `writers` connections (see preparePlainInserts). */
export async function plainInsertRate(appUrl: string, writers: number, seconds: number, onProgress?: (operations: number, elapsedSeconds: number) => void): Promise<number> {
  const clients = await Promise.all(
    Array.from({ length: writers }, async () => {
      const client = new pg.Client({ connectionString: appUrl, application_name: 'trading-core-bench-plain-inserts' });
      await client.connect();
      return client;
    }),
  );
  try {
    return await ratePerSecond(writers, seconds, async (worker) => {
      await clients[worker]!.query('INSERT INTO plain_inserts (id, payload) VALUES ($1, $2)', [randomUUID(), { amountCents: 1250 }]);
    }, onProgress);
  } finally {
    await Promise.all(clients.map((client) => client.end()));
  }
}
