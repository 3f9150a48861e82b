import pg from 'pg';
import { EVENT_LOG_MIGRATIONS } from '../event-store/sql/event-log-schema.ts';
import { READ_MODEL_MIGRATIONS } from '../read-models/read-model-schema.ts';
import { CANDLE_MIGRATIONS } from '../market-data/candles/candle-schema.ts';
import { AUDIT_MIGRATIONS } from '../audit/audit-schema.ts';
import { API_KEY_MIGRATIONS } from '../api-keys/api-key-schema.ts';
import { migrate, type Migration } from './migrations.ts';
import { PostgresSqlClient } from './postgres-client.ts';

/** Every migration of the PostgreSQL database, in the order the features were built. */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [...EVENT_LOG_MIGRATIONS, ...READ_MODEL_MIGRATIONS, ...CANDLE_MIGRATIONS, ...AUDIT_MIGRATIONS, ...API_KEY_MIGRATIONS];

export interface PostgresSetupResult {
  readonly database: string;
  readonly appRole: string;
  readonly applied: number[];
}

/**
 * Prepares the database `appUrl` names, connecting as the owner `adminUrl` names: creates the
 * database and the application's login role when missing, applies migrations, and grants the
 * application role what it needs — which never includes changing or removing events.
 */
export async function setUpPostgres(adminUrl: string, appUrl: string, appPassword?: string): Promise<PostgresSetupResult> {
  const app = new URL(appUrl);
  const database = decodeURIComponent(app.pathname.replace(/^\//, ''));
  const appRole = decodeURIComponent(app.username);
  if (!database || !appRole) throw new Error('DATABASE_URL must name a user and a database');

  const server = new pg.Client({ connectionString: adminUrl });
  await server.connect();
  try {
    const exists = await server.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) {
      await server.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`).catch((error: { code?: string }) => {
        if (error.code !== '42P04') throw error; // created meanwhile by a concurrent set-up
      });
    }
    const role = await server.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [appRole]);
    if (role.rowCount === 0) {
      await server
        .query(`CREATE ROLE ${pg.escapeIdentifier(appRole)} LOGIN`)
        .catch((error: { code?: string }) => {
          if (error.code !== '42710' && error.code !== '23505') throw error;
        });
    }
    if (appPassword) {
      await server.query(`ALTER ROLE ${pg.escapeIdentifier(appRole)} PASSWORD ${pg.escapeLiteral(appPassword)}`);
    }
  } finally {
    await server.end();
  }

  const adminOnDatabase = new URL(adminUrl);
  adminOnDatabase.pathname = `/${encodeURIComponent(database)}`;
  const db = PostgresSqlClient.connect(adminOnDatabase.toString(), { max: 1, applicationName: 'trading-core-migrate' });
  try {
    const applied = await migrate(db, POSTGRES_MIGRATIONS);
    await grantApplicationRole(db, database, appRole);
    return { database, appRole, applied };
  } finally {
    await db.close();
  }
}

/** What the application role may do: everything on read models, append and read on events. */
export async function grantApplicationRole(db: { exec(script: string): Promise<void> }, database: string, appRole: string): Promise<void> {
  const role = pg.escapeIdentifier(appRole);
  await db.exec(`
    GRANT CONNECT ON DATABASE ${pg.escapeIdentifier(database)} TO ${role};
    GRANT USAGE ON SCHEMA public TO ${role};
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role};
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role};
    REVOKE UPDATE, DELETE, TRUNCATE ON events FROM ${role};
    REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migrations FROM ${role};
    REVOKE ALL ON FUNCTION events_are_immutable() FROM PUBLIC;`);
}

/** Drops a database (a benchmark's or a test's), whoever is still connected to it. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
