import {
  foldTicksIntoCandles,
  MAX_CANDLES_PER_QUERY,
  type Candle,
  type CandleInterval,
  type CandleQuery,
  type CandleStore,
  type PartitionBatch,
  type PartitionBatchOutcome,
  type VolumeMark,
} from '../../../application/market/candles.ts';
import type { Tick } from '../../../application/market/market-data.ts';
import type { SqlClient } from '../../persistence/sql-client.ts';

/** Rows deleted per statement when pruning, so no one statement holds locks for long. */
const PRUNE_CHUNK = 10_000;

/** The instant `$n` epoch milliseconds name. */
const epochPlusMilliseconds = (n: number): string => `('epoch'::timestamptz + $${n}::bigint * interval '1 millisecond')`;

/**
 * A delta merges into the stored candle: open from the lower first seq, close from the higher
 * last seq, high the max, low the min, volume added (the same rule as `mergeCandleDeltas`).
 * Deltas come as one JSON array, which `pg` and PGlite both pass as text.
 */
const UPSERT_CANDLES = /* sql */ `
INSERT INTO candles AS stored (symbol, bucket_interval, bucket_start, open_cents, high_cents, low_cents, close_cents, volume, first_seq, last_seq)
SELECT symbol, bucket_interval, 'epoch'::timestamptz + bucket_start_ms * interval '1 millisecond', open_cents, high_cents, low_cents, close_cents, volume, first_seq, last_seq
FROM jsonb_to_recordset($1::jsonb) AS delta(symbol text, bucket_interval text, bucket_start_ms bigint, open_cents bigint, high_cents bigint,
  low_cents bigint, close_cents bigint, volume bigint, first_seq bigint, last_seq bigint)
ON CONFLICT (symbol, bucket_interval, bucket_start) DO UPDATE SET
  open_cents  = CASE WHEN EXCLUDED.first_seq < stored.first_seq THEN EXCLUDED.open_cents ELSE stored.open_cents END,
  close_cents = CASE WHEN EXCLUDED.last_seq > stored.last_seq THEN EXCLUDED.close_cents ELSE stored.close_cents END,
  high_cents  = GREATEST(stored.high_cents, EXCLUDED.high_cents),
  low_cents   = LEAST(stored.low_cents, EXCLUDED.low_cents),
  volume      = stored.volume + EXCLUDED.volume,
  first_seq   = LEAST(stored.first_seq, EXCLUDED.first_seq),
  last_seq    = GREATEST(stored.last_seq, EXCLUDED.last_seq)`;

const UPSERT_MARKS = /* sql */ `
INSERT INTO candle_volume_marks AS mark (symbol, seq, volume)
SELECT symbol, seq, volume FROM jsonb_to_recordset($1::jsonb) AS next(symbol text, seq bigint, volume bigint)
ON CONFLICT (symbol) DO UPDATE SET seq = EXCLUDED.seq, volume = EXCLUDED.volume WHERE mark.seq < EXCLUDED.seq`;

interface CandleRow {
  start_ms: string;
  open_cents: string;
  high_cents: string;
  low_cents: string;
  close_cents: string;
  volume: string;
}

/** Candles in PostgreSQL (or PGlite in embedded mode). */
export class SqlCandleStore implements CandleStore {
  constructor(private readonly db: SqlClient) {}

  async applyPartitionBatch(batch: PartitionBatch): Promise<PartitionBatchOutcome> {
    return this.db.transaction(async (tx) => {
      await tx.query('INSERT INTO candle_checkpoints (source, log_partition, last_offset) VALUES ($1, $2, -1) ON CONFLICT DO NOTHING', [batch.log, batch.partition]);
      // The row lock makes a second consumer of the same partition (a rebalance overlap) wait
      // here, then find this batch already applied.
      const [checkpoint] = await tx.query<{ last_offset: string }>(
        'SELECT last_offset::text AS last_offset FROM candle_checkpoints WHERE source = $1 AND log_partition = $2 FOR UPDATE',
        [batch.log, batch.partition],
      );
      const applied = BigInt(checkpoint!.last_offset);
      const fresh = batch.ticks.filter(({ offset }) => offset > applied).map(({ tick }) => tick);
      const redelivered = batch.ticks.length - fresh.length;
      if (batch.lastOffset <= applied) return { applied: 0, redelivered };
      await this.fold(tx, fresh);
      await tx.query('UPDATE candle_checkpoints SET last_offset = $3, updated_at = now() WHERE source = $1 AND log_partition = $2', [
        batch.log,
        batch.partition,
        batch.lastOffset.toString(),
      ]);
      return { applied: fresh.length, redelivered };
    });
  }

  async applyLiveTicks(ticks: readonly Tick[]): Promise<number> {
    if (ticks.length === 0) return 0;
    await this.db.transaction((tx) => this.fold(tx, ticks));
    return ticks.length;
  }

  async checkpoints(log: string): Promise<Map<number, bigint>> {
    const rows = await this.db.query<{ log_partition: number; last_offset: string }>(
      'SELECT log_partition, last_offset::text AS last_offset FROM candle_checkpoints WHERE source = $1 AND last_offset >= 0',
      [log],
    );
    return new Map(rows.map((row) => [Number(row.log_partition), BigInt(row.last_offset)]));
  }

  async candles(query: CandleQuery): Promise<Candle[]> {
    const params: unknown[] = [query.symbol, query.interval, Math.max(1, Math.min(query.limit, MAX_CANDLES_PER_QUERY))];
    const window: string[] = [];
    // Bounds go in as epoch milliseconds: any instant a client can name is one PostgreSQL takes.
    if (query.fromMs !== undefined) {
      params.push(Math.trunc(query.fromMs));
      window.push(`AND bucket_start >= ${epochPlusMilliseconds(params.length)}`);
    }
    if (query.toMs !== undefined) {
      params.push(Math.trunc(query.toMs));
      window.push(`AND bucket_start <= ${epochPlusMilliseconds(params.length)}`);
    }
    const rows = await this.db.query<CandleRow>(
      `SELECT (extract(epoch FROM bucket_start) * 1000)::bigint::text AS start_ms, open_cents::text AS open_cents, high_cents::text AS high_cents,
         low_cents::text AS low_cents, close_cents::text AS close_cents, volume::text AS volume
       FROM candles WHERE symbol = $1 AND bucket_interval = $2 ${window.join(' ')}
       ORDER BY bucket_start ${query.take === 'oldest' ? 'ASC' : 'DESC'} LIMIT $3`,
      params,
    );
    return (query.take === 'oldest' ? rows : rows.reverse()).map((row) => ({
      startMs: Number(row.start_ms),
      openCents: Number(row.open_cents),
      highCents: Number(row.high_cents),
      lowCents: Number(row.low_cents),
      closeCents: Number(row.close_cents),
      volume: Number(row.volume),
    }));
  }

  async pruneCandles(interval: CandleInterval, beforeMs: number): Promise<number> {
    let pruned = 0;
    for (;;) {
      const [deleted] = await this.db.query<{ count: string }>(
        `WITH gone AS (DELETE FROM candles WHERE ctid = ANY(ARRAY(
           SELECT ctid FROM candles WHERE bucket_interval = $2 AND bucket_start < ${epochPlusMilliseconds(1)} LIMIT ${PRUNE_CHUNK})) RETURNING 1)
         SELECT count(*)::text AS count FROM gone`,
        [Math.trunc(beforeMs), interval],
      );
      const count = Number(deleted!.count);
      pruned += count;
      if (count < PRUNE_CHUNK) return pruned;
    }
  }

  /** Folds ticks into candles and the symbols' volume marks, inside the caller's transaction. */
  private async fold(tx: SqlClient, ticks: readonly Tick[]): Promise<void> {
    if (ticks.length === 0) return;
    const symbols = [...new Set(ticks.map((tick) => tick.symbol))].sort();
    const markRows = await tx.query<{ symbol: string; seq: string; volume: string }>(
      'SELECT symbol, seq::text AS seq, volume::text AS volume FROM candle_volume_marks WHERE symbol = ANY($1) ORDER BY symbol FOR UPDATE',
      [symbols],
    );
    const marks = new Map<string, VolumeMark>(markRows.map((row) => [row.symbol, { seq: Number(row.seq), volume: Number(row.volume) }]));
    const { deltas, marks: newMarks } = foldTicksIntoCandles(ticks, marks);
    const rows = deltas
      .map((delta) => ({
        symbol: delta.symbol,
        bucket_interval: delta.interval,
        bucket_start_ms: delta.bucketStartMs,
        open_cents: delta.openCents,
        high_cents: delta.highCents,
        low_cents: delta.lowCents,
        close_cents: delta.closeCents,
        volume: delta.volume,
        first_seq: delta.firstSeq,
        last_seq: delta.lastSeq,
      }))
      // One order for every writer, so two transactions never wait on each other's rows in a cycle.
      .sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0) || a.bucket_interval.localeCompare(b.bucket_interval) || a.bucket_start_ms - b.bucket_start_ms);
    await tx.query(UPSERT_CANDLES, [JSON.stringify(rows)]);
    if (newMarks.size > 0) {
      await tx.query(UPSERT_MARKS, [JSON.stringify([...newMarks].map(([symbol, mark]) => ({ symbol, seq: mark.seq, volume: mark.volume })))]);
    }
  }
}
