import type { Migration } from '../persistence/migrations.ts';

export const ORDER_PARTITIONS = 8;

/**
 * The DDL of each read-model table for a given physical name, so `rebuild` can create a fresh
 * copy beside the live one. Constraints and indexes are left unnamed: PostgreSQL picks names
 * that do not collide when copies come and go.
 */
export const READ_MODEL_TABLES: Readonly<Record<string, (table: string) => string>> = {
  // Hash-partitioned by account (seed 002): an account's orders live in one partition.
  orders: (table) => `
CREATE TABLE ${table} (
  id uuid NOT NULL, account_id uuid NOT NULL, client_order_id text NOT NULL, symbol text NOT NULL,
  side text NOT NULL, type text NOT NULL, time_in_force text NOT NULL, qty bigint NOT NULL,
  limit_price_cents bigint, status text NOT NULL, filled_qty bigint NOT NULL, filled_value_cents bigint NOT NULL,
  avg_fill_price_cents bigint, external_order_id text, reject_reason text,
  created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, version bigint NOT NULL,
  PRIMARY KEY (account_id, id)
) PARTITION BY HASH (account_id);
${Array.from({ length: ORDER_PARTITIONS }, (_, i) => `CREATE TABLE ${table}_p${i} PARTITION OF ${table} FOR VALUES WITH (MODULUS ${ORDER_PARTITIONS}, REMAINDER ${i});`).join('\n')}
CREATE INDEX ON ${table} (account_id, created_at DESC, id DESC);
CREATE UNIQUE INDEX ON ${table} (account_id, client_order_id);`,
  accounts: (table) => `
CREATE TABLE ${table} (
  account_id uuid PRIMARY KEY, cash_cents bigint NOT NULL, reserved_cents bigint NOT NULL,
  version bigint NOT NULL, updated_at timestamptz NOT NULL
);`,
  positions: (table) => `
CREATE TABLE ${table} (
  account_id uuid NOT NULL, symbol text NOT NULL, qty bigint NOT NULL, reserved_qty bigint NOT NULL,
  cost_basis_cents bigint NOT NULL, PRIMARY KEY (account_id, symbol)
);`,
  account_activities: (table) => `
CREATE TABLE ${table} (
  id uuid PRIMARY KEY, account_id uuid NOT NULL, position bigint NOT NULL, activity_type text NOT NULL,
  side text, symbol text, qty bigint, price_cents bigint, net_amount_cents bigint NOT NULL, order_id uuid,
  occurred_at timestamptz NOT NULL
);
CREATE INDEX ON ${table} (account_id, position DESC);`,
  external_order_index: (table) => `
CREATE TABLE ${table} (external_order_id text PRIMARY KEY, order_id uuid NOT NULL, account_id uuid NOT NULL);`,
  holds: (table) => `
CREATE TABLE ${table} (order_id uuid PRIMARY KEY, account_id uuid NOT NULL, kind text NOT NULL, symbol text NOT NULL);`,
};

/** The read models migration 2 created; later ones are created by the migration that added them. */
const FIRST_READ_MODELS = ['orders', 'accounts', 'positions', 'account_activities', 'external_order_index'];

export const READ_MODEL_MIGRATIONS: readonly Migration[] = [
  {
    version: 12,
    name: 'open holds (for the reconciler), and the execution feed cursor with its exchange session',
    sql: `
${READ_MODEL_TABLES.holds!('holds')}
CREATE TABLE exchange_feed_cursor (
  feed text PRIMARY KEY,
  -- the exchange session the sequence number counts in (null: not known yet)
  session text,
  seq bigint NOT NULL,
  -- the last session every open order was reconciled against
  swept_session text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO exchange_feed_cursor (feed, seq) SELECT projection, position FROM projection_checkpoints WHERE projection = 'worker:executions';
DELETE FROM projection_checkpoints WHERE projection = 'worker:executions';`,
  },
  {
    version: 3,
    name: 'exchange circuit state shared by the worker with the API',
    sql: `CREATE TABLE exchange_status (exchange text PRIMARY KEY, circuit text NOT NULL, changed_at timestamptz NOT NULL DEFAULT now());`,
  },
  {
    version: 2,
    name: 'read models and projection checkpoints',
    sql: `
CREATE TABLE projection_checkpoints (
  projection text PRIMARY KEY,
  position   bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
${FIRST_READ_MODELS.map((table) => READ_MODEL_TABLES[table]!(table)).join('\n')}
`,
  },
];
