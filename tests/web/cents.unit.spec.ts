import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCents, formatPercent, formatSignedCents, parseDollars, timesQty } from '../../web/src/money/cents.ts';

describe('money in the console: integer cents to text and back', () => {
  it('formats cents as dollars with thousands separators', () => {
    expect(formatCents(0)).toBe('$0.00');
    expect(formatCents(5)).toBe('$0.05');
    expect(formatCents(100)).toBe('$1.00');
    expect(formatCents(123_456)).toBe('$1,234.56');
    expect(formatCents(-123_456)).toBe('\u2212$1,234.56');
    expect(formatCents(Number.MAX_SAFE_INTEGER)).toBe('$90,071,992,547,409.91');
  });

  it('writes the sign of a change as text, never only as a colour', () => {
    expect(formatSignedCents(120)).toBe('+$1.20');
    expect(formatSignedCents(-40)).toBe('\u2212$0.40');
    expect(formatSignedCents(0)).toBe('$0.00');
    expect(formatPercent(0.53)).toBe('+0.53%');
    expect(formatPercent(-1.2)).toBe('\u22121.20%');
    expect(formatPercent(0)).toBe('0.00%');
  });

  it('refuses what is not an integer number of cents', () => {
    expect(() => formatCents(1.5)).toThrow(RangeError);
    expect(() => formatCents(Number.MAX_SAFE_INTEGER + 2)).toThrow(RangeError);
  });

  it('round-trips every safe amount exactly, where float division would drift', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (cents) => {
        expect(parseDollars(formatCents(cents))).toBe(cents);
      }),
    );
    // Where floats drift: 4.35 × 100 is 434.99999999999994, and truncating it loses a cent.
    expect(Math.trunc(4.35 * 100)).toBe(434);
    expect(parseDollars('4.35')).toBe(435);
  });

  it('reads prices typed by a person, at most two decimals', () => {
    expect(parseDollars('187.25')).toBe(18_725);
    expect(parseDollars(' $1,234.5 ')).toBe(123_450);
    expect(parseDollars('150')).toBe(15_000);
    expect(parseDollars('0.07')).toBe(7);
    for (const bad of ['', 'abc', '1.234', '-5', '1,23.00', '12e3', '.5']) expect(parseDollars(bad)).toBeUndefined();
  });

  it('multiplies a price by a quantity only while the product is exact', () => {
    expect(timesQty(18_725, 10)).toBe(187_250);
    expect(timesQty(Number.MAX_SAFE_INTEGER, 2)).toBeUndefined();
  });
});
