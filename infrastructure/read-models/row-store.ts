import type { Cell, Row, RowProjection } from '../../projections/row-projection.ts';
import type { SqlClient } from '../persistence/sql-client.ts';

/** Reads and writes a projection's rows in one physical table (live or a rebuild copy). */
export class RowStore {
  private readonly selectSql: string;
  private readonly upsertSql: string;
  private readonly insertInto: string;
  private readonly onConflict: string;
  private readonly deleteSql: string;

  constructor(
    private readonly projection: RowProjection,
    readonly table: string,
  ) {
    const { keyColumns, columns } = projection;
    const where = keyColumns.map((column, i) => `${column} = $${i + 1}`).join(' AND ');
    this.selectSql = `SELECT ${columns.join(', ')} FROM ${table} WHERE ${where}`;
    this.deleteSql = `DELETE FROM ${table} WHERE ${where}`;
    this.insertInto = `INSERT INTO ${table} (${columns.join(', ')}) VALUES `;
    const updates = columns.filter((column) => !keyColumns.includes(column)).map((column) => `${column} = EXCLUDED.${column}`);
    this.onConflict = ` ON CONFLICT (${keyColumns.join(', ')}) DO ${updates.length ? `UPDATE SET ${updates.join(', ')}` : 'NOTHING'}`;
    this.upsertSql = this.upsertOf(1);
  }

  /** An upsert of `rows` rows: parameters row after row, in column order. */
  private upsertOf(rows: number): string {
    const width = this.projection.columns.length;
    const tuples = Array.from({ length: rows }, (_, i) => `(${this.projection.columns.map((__, j) => `$${i * width + j + 1}`).join(', ')})`);
    return `${this.insertInto}${tuples.join(', ')}${this.onConflict}`;
  }

  keyString(key: Partial<Row>): string {
    return this.projection.keyColumns.map((column) => String(key[column])).join('\u0000');
  }

  async load(db: SqlClient, key: Partial<Row>): Promise<Row | null> {
    const [row] = await db.query<Row>(this.selectSql, this.projection.keyColumns.map((column) => key[column]));
    return row ? this.normalise(row) : null;
  }

  /** The rows of many keys in one query per 1,000 keys, by key string (absent keys have no row). */
  async loadMany(db: SqlClient, keys: ReadonlyArray<Partial<Row>>): Promise<Map<string, Row>> {
    const found = new Map<string, Row>();
    const { keyColumns, columns } = this.projection;
    for (let start = 0; start < keys.length; start += 1_000) {
      const chunk = keys.slice(start, start + 1_000);
      // `(a, b) IN (($1, $2), …)`: the parameters take the columns' types, and the index serves it.
      const tuples = chunk.map((_, i) => `(${keyColumns.map((__, j) => `$${i * keyColumns.length + j + 1}`).join(', ')})`).join(', ');
      const rows = await db.query<Row>(
        `SELECT ${columns.join(', ')} FROM ${this.table} WHERE (${keyColumns.join(', ')}) IN (${tuples})`,
        chunk.flatMap((key) => keyColumns.map((column) => key[column])),
      );
      for (const row of rows) {
        const plain = this.normalise(row);
        found.set(this.keyString(plain), plain);
      }
    }
    return found;
  }

  /** Writes many rows: one multi-row upsert per chunk, and a delete per row that went away. */
  async saveMany(db: SqlClient, entries: ReadonlyArray<{ key: Partial<Row>; row: Row | null }>): Promise<void> {
    const { columns } = this.projection;
    const upserts = entries.flatMap(({ row }) => (row ? [row] : []));
    const perChunk = Math.max(1, Math.floor(30_000 / columns.length));
    for (let start = 0; start < upserts.length; start += perChunk) {
      const chunk = upserts.slice(start, start + perChunk);
      await db.query(this.upsertOf(chunk.length), chunk.flatMap((row) => columns.map((column) => row[column])));
    }
    for (const { key, row } of entries) if (row === null) await this.save(db, key, null);
  }

  async save(db: SqlClient, key: Partial<Row>, row: Row | null): Promise<void> {
    if (row === null) await db.query(this.deleteSql, this.projection.keyColumns.map((column) => key[column]));
    else await db.query(this.upsertSql, this.projection.columns.map((column) => row[column]));
  }

  /** Every row in key order, normalised: what `rebuild` and `verify` compare. */
  async all(db: SqlClient): Promise<Row[]> {
    const rows = await db.query<Row>(`SELECT ${this.projection.columns.join(', ')} FROM ${this.table} ORDER BY ${this.projection.keyColumns.join(', ')}`);
    return rows.map((row) => this.normalise(row));
  }

  /** Drivers differ in how they return bigint and timestamptz: make rows plain. */
  private normalise(row: Row): Row {
    const plain: Record<string, Cell> = {};
    for (const column of this.projection.columns) {
      const value = row[column] as unknown;
      if (value === null || value === undefined) plain[column] = null;
      else if (value instanceof Date) plain[column] = value.toISOString();
      else if (this.projection.integerColumns.includes(column)) plain[column] = Number(value);
      else plain[column] = typeof value === 'bigint' || typeof value === 'number' ? String(value) : (value as Cell);
    }
    return plain;
  }
}
