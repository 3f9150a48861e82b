import type { Cell, Row, RowProjection } from '../../projections/row-projection.ts';
import type { SqlClient } from '../persistence/sql-client.ts';

/** Reads and writes a projection's rows in one physical table (live or a rebuild copy). */
export class RowStore {
  private readonly selectSql: string;
  private readonly upsertSql: string;
  private readonly deleteSql: string;

  constructor(
    private readonly projection: RowProjection,
    readonly table: string,
  ) {
    const { keyColumns, columns } = projection;
    const where = keyColumns.map((column, i) => `${column} = $${i + 1}`).join(' AND ');
    this.selectSql = `SELECT ${columns.join(', ')} FROM ${table} WHERE ${where}`;
    this.deleteSql = `DELETE FROM ${table} WHERE ${where}`;
    const updates = columns.filter((column) => !keyColumns.includes(column)).map((column) => `${column} = EXCLUDED.${column}`);
    this.upsertSql =
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')}) ` +
      `ON CONFLICT (${keyColumns.join(', ')}) DO ${updates.length ? `UPDATE SET ${updates.join(', ')}` : 'NOTHING'}`;
  }

  keyString(key: Partial<Row>): string {
    return this.projection.keyColumns.map((column) => String(key[column])).join('\u0000');
  }

  async load(db: SqlClient, key: Partial<Row>): Promise<Row | null> {
    const [row] = await db.query<Row>(this.selectSql, this.projection.keyColumns.map((column) => key[column]));
    return row ? this.normalise(row) : null;
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
