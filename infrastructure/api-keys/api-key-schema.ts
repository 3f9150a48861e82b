import type { Migration } from '../persistence/migrations.ts';

/** The `api_keys` read model's DDL for a physical name (`rebuild` makes fresh copies). */
export const API_KEY_READ_MODEL_TABLES: Readonly<Record<string, (table: string) => string>> = {
  api_keys: (table) => `
CREATE TABLE ${table} (
  key_id text PRIMARY KEY, account_id uuid NOT NULL, secret_hash text NOT NULL, label text,
  created_at timestamptz NOT NULL, revoked_at timestamptz
);
CREATE INDEX ON ${table} (account_id);`,
};

export const API_KEY_MIGRATIONS: readonly Migration[] = [
  { version: 11, name: 'api keys (Alpaca-compatible authentication)', sql: API_KEY_READ_MODEL_TABLES.api_keys!('api_keys') },
];
