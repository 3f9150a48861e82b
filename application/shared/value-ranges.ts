/**
 * The ranges a value from outside must fall in before it reaches a store: one place, so every
 * route, cursor and header refuses the same things (400) instead of failing inside the database.
 */

/** Positions and revisions are signed 64-bit integers in every event store. */
export const MAX_POSITION = 2n ** 63n - 1n;

/** A position written as decimal digits, within 64 bits; undefined for anything else. */
export function parsePosition(text: string): bigint | undefined {
  if (!/^\d{1,19}$/.test(text)) return undefined;
  const position = BigInt(text);
  return position <= MAX_POSITION ? position : undefined;
}

const MIN_TIME_MS = Date.parse('0001-01-01T00:00:00.000Z');
const MAX_TIME_MS = Date.parse('9999-12-31T23:59:59.999Z');

/** Whether a time (ms since the epoch) is one a query may name: years 0001–9999, which a Date and PostgreSQL both hold. */
export function isQueryableTime(ms: number): boolean {
  return ms >= MIN_TIME_MS && ms <= MAX_TIME_MS;
}

const EARLIEST_WRITTEN_MS = Date.parse('0000-01-01T00:00:00.000Z');

/**
 * Whether a time is one a query may name as a bound compared in milliseconds (candles): every
 * instant ISO-8601 writes with a four-digit year, 0000 included — no stored row is older.
 */
export function isBoundTime(ms: number): boolean {
  return ms >= EARLIEST_WRITTEN_MS && ms <= MAX_TIME_MS;
}

/** A time written exactly as this API writes times (ISO-8601 UTC with milliseconds), in the queryable range. */
export function isIsoTimestamp(text: string): boolean {
  const ms = Date.parse(text);
  return isQueryableTime(ms) && new Date(ms).toISOString() === text;
}
