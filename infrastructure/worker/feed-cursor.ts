import type { SqlClient } from '../persistence/sql-client.ts';

/** Where the worker stands in the exchange's execution feed: a sequence number within a session. */
export interface FeedPosition {
  /** The exchange session `seq` counts in; undefined before the first `hello`. */
  readonly session: string | undefined;
  readonly seq: number;
}

export interface FeedCursor extends FeedPosition {
  /** The last session every open order was reconciled against. */
  readonly sweptSession: string | undefined;
}

/** The `exchange_feed_cursor` row of one feed. */
export const feedCursor = (feed: string) => ({
  async load(db: SqlClient): Promise<FeedCursor> {
    await db.query('INSERT INTO exchange_feed_cursor (feed, seq) VALUES ($1, 0) ON CONFLICT (feed) DO NOTHING', [feed]);
    const [row] = await db.query<{ session: string | null; seq: string; swept_session: string | null }>('SELECT session, seq::text AS seq, swept_session FROM exchange_feed_cursor WHERE feed = $1', [feed]);
    return { session: row?.session ?? undefined, seq: Number(row?.seq ?? 0), sweptSession: row?.swept_session ?? undefined };
  },

  /** Session and sequence number are written together: a number means nothing in another session. */
  save(tx: SqlClient, position: FeedPosition): Promise<unknown> {
    return tx.query('UPDATE exchange_feed_cursor SET session = $2, seq = $3, updated_at = now() WHERE feed = $1', [feed, position.session ?? null, position.seq]);
  },

  markSwept(db: SqlClient, session: string): Promise<unknown> {
    return db.query('UPDATE exchange_feed_cursor SET swept_session = $2, updated_at = now() WHERE feed = $1', [feed, session]);
  },
});
