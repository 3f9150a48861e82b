/**
 * Alpaca's trading API writes money and quantities as decimal strings; ours are integer cents
 * and whole shares. These conversions are exact both ways (no float ever holds money), and refuse
 * what has no exact integer meaning here (fractions of a cent, fractional shares).
 */

/** 12345 → "123.45", -5 → "-0.05", 100 → "1". */
export function centsToDecimal(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const magnitude = Math.abs(cents);
  const whole = Math.trunc(magnitude / 100);
  const fraction = magnitude % 100;
  return `${sign}${whole}${fraction === 0 ? '' : `.${String(fraction).padStart(2, '0').replace(/0$/, '')}`}`;
}

/** A ratio of two integers as a decimal string with `digits` places, rounded half away from zero, computed in integers. */
export function ratioToDecimal(numerator: number, denominator: number, digits = 4): string {
  if (denominator === 0) return '0';
  const scale = 10n ** BigInt(digits);
  const n = BigInt(numerator) * scale * 2n;
  const d = BigInt(denominator) * 2n;
  const negative = n < 0n !== d < 0n;
  const absN = n < 0n ? -n : n;
  const absD = d < 0n ? -d : d;
  const scaled = (absN + absD / 2n) / absD;
  const whole = scaled / scale;
  const fraction = (scaled % scale).toString().padStart(digits, '0').replace(/0+$/, '');
  const text = `${whole}${fraction ? `.${fraction}` : ''}`;
  return negative && scaled !== 0n ? `-${text}` : text;
}

export class DecimalInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'DecimalInputError';
  }
}

const DECIMAL = /^(\d{1,12})(?:\.(\d+))?$/;

/** "123.45" / 123.45 / "123.4500" → 12345 cents; sub-penny precision is refused as Alpaca refuses it. */
export function decimalToCents(value: string | number, field: string): number {
  const text = typeof value === 'number' ? String(value) : value.trim();
  const match = DECIMAL.exec(text);
  if (!match) throw new DecimalInputError(field, `invalid ${field} ${JSON.stringify(value)}: a positive decimal number is required`);
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > 2) throw new DecimalInputError(field, `invalid ${field} ${text}. sub-penny increment does not fulfill minimum pricing criteria`);
  const cents = Number(match[1]) * 100 + Number(fraction.padEnd(2, '0'));
  if (cents <= 0) throw new DecimalInputError(field, `${field} must be > 0`);
  return cents;
}

/** "10" / 10 / "10.0" → 10 shares; fractions of a share are not traded here. */
export function decimalToShares(value: string | number, field: string): number {
  const text = typeof value === 'number' ? String(value) : value.trim();
  const match = DECIMAL.exec(text);
  if (!match) throw new DecimalInputError(field, `invalid ${field} ${JSON.stringify(value)}: a positive number of shares is required`);
  if ((match[2] ?? '').replace(/0+$/, '') !== '') throw new DecimalInputError(field, `fractional ${field} ${text} is not supported by this server: whole shares only`);
  const shares = Number(match[1]);
  if (shares <= 0) throw new DecimalInputError(field, `${field} must be > 0`);
  return shares;
}

/** Cents as the data API writes prices: a JSON number of dollars (12345 → 123.45, exact in its decimal text). */
export const centsToNumber = (cents: number): number => cents / 100;
