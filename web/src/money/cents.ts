/**
 * Money arrives as integer cents (api.md) and is shown without ever becoming a float: the
 * digits of the integer are split into dollars and cents as text.
 */

const MINUS = '\u2212';

function digitsOf(cents: number): { negative: boolean; dollars: string; cents: string } {
  if (!Number.isSafeInteger(cents)) throw new RangeError(`not an integer number of cents: ${cents}`);
  const digits = String(Math.abs(cents)).padStart(3, '0');
  return { negative: cents < 0, dollars: digits.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ','), cents: digits.slice(-2) };
}

/** `123456` → `$1,234.56`; `-5` → `−$0.05`. */
export function formatCents(cents: number): string {
  const { negative, dollars, cents: rest } = digitsOf(cents);
  return `${negative ? MINUS : ''}$${dollars}.${rest}`;
}

/** A change, its sign always written: `+$1.20`, `−$0.40`, `$0.00`. */
export function formatSignedCents(cents: number): string {
  return cents > 0 ? `+${formatCents(cents)}` : formatCents(cents);
}

/** `1,234.5`, `$1234.50` or `1234` → `123450` cents; undefined for anything else (at most 2 decimals). */
export function parseDollars(text: string): number | undefined {
  const match = /^\$?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!match) return undefined;
  const cents = Number(`${match[1]!.replaceAll(',', '')}${(match[2] ?? '').padEnd(2, '0')}`);
  return Number.isSafeInteger(cents) ? cents : undefined;
}

/** `qty × priceCents`, or undefined when it would not be exact. */
export function timesQty(priceCents: number, qty: number): number | undefined {
  const total = priceCents * qty;
  return Number.isSafeInteger(total) ? total : undefined;
}

/** A percentage the API gives with two decimals: `+0.53%`, `−1.20%`. */
export function formatPercent(pct: number): string {
  const text = Math.abs(pct).toFixed(2);
  return pct > 0 ? `+${text}%` : pct < 0 && text !== '0.00' ? `${MINUS}${text}%` : `${text}%`;
}
