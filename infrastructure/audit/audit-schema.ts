import type { Migration } from '../persistence/migrations.ts';

/**
 * The audit's tables. `account_order_index` is a read model like the others (projected, rebuilt,
 * verified); its DDL takes the physical name so `rebuild` can make a fresh copy beside it.
 * `account_snapshots` is a cache of account folds (application/audit/account-snapshots.ts).
 */
export const AUDIT_READ_MODEL_TABLES: Readonly<Record<string, (table: string) => string>> = {
  account_order_index: (table) => `
CREATE TABLE ${table} (
  account_id uuid NOT NULL, order_id uuid NOT NULL, status text NOT NULL, qty bigint NOT NULL, filled_qty bigint NOT NULL,
  placed_position bigint NOT NULL, placed_at timestamptz NOT NULL, seen_until timestamptz NOT NULL,
  closed_position bigint, closed_at timestamptz,
  PRIMARY KEY (account_id, order_id)
);
CREATE INDEX ON ${table} (account_id, placed_position);`,
};

export const AUDIT_MIGRATIONS: readonly Migration[] = [
  {
    version: 6,
    name: 'audit: account order index and account snapshots',
    sql: `
${AUDIT_READ_MODEL_TABLES.account_order_index!('account_order_index')}
CREATE TABLE account_snapshots (
  account_id     text        NOT NULL,
  revision       bigint      NOT NULL,
  position       bigint      NOT NULL,
  recorded_until timestamptz NOT NULL,
  last_event_id  uuid        NOT NULL,
  format         integer     NOT NULL,
  state          jsonb       NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, revision)
);`,
  },
];
