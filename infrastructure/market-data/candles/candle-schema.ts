import type { Migration } from '../../persistence/migrations.ts';

/**
 * The candles the `candles` consumer folds from `market.ticks` (docs/adr/0009-candles.md).
 * `first_seq` / `last_seq` say which tick the open and close came from, so a batch's delta merges
 * into a stored candle whatever order they arrive in. `candle_volume_marks` keeps the newest tick
 * folded per symbol (the cumulative volume the next tick's growth is measured from), and
 * `candle_checkpoints` the last offset applied per log partition, both written in the same
 * transaction as the candles.
 */
export const CANDLE_MIGRATIONS: readonly Migration[] = [
  {
    version: 4,
    name: 'candles, their volume marks and consumer checkpoints',
    sql: /* sql */ `
CREATE TABLE candles (
  symbol          text        NOT NULL,
  bucket_interval text        NOT NULL CHECK (bucket_interval IN ('1s', '1m', '1h', '1d')),
  bucket_start    timestamptz NOT NULL,
  open_cents      bigint      NOT NULL,
  high_cents      bigint      NOT NULL,
  low_cents       bigint      NOT NULL,
  close_cents     bigint      NOT NULL,
  volume          bigint      NOT NULL,
  first_seq       bigint      NOT NULL,
  last_seq        bigint      NOT NULL,
  PRIMARY KEY (symbol, bucket_interval, bucket_start)
);
-- Retention prunes one-second candles by age across every symbol (replaced in version 5).
CREATE INDEX candles_1s_by_start ON candles (bucket_start) WHERE bucket_interval = '1s';

CREATE TABLE candle_volume_marks (
  symbol text   PRIMARY KEY,
  seq    bigint NOT NULL,
  volume bigint NOT NULL
);

CREATE TABLE candle_checkpoints (
  source        text        NOT NULL,
  log_partition integer     NOT NULL,
  last_offset   bigint      NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, log_partition)
);
`,
  },
  {
    version: 5,
    name: 'candles by interval and start, for the retention of every pruned interval',
    sql: /* sql */ `
-- Retention prunes by age one interval at a time (1s, and 1m and 1h where a retention is set).
CREATE INDEX candles_by_interval_start ON candles (bucket_interval, bucket_start);
DROP INDEX candles_1s_by_start;
`,
  },
];
