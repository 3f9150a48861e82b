import { DomainError } from './domain-error.ts';

/** Money is whole cents and quantities whole shares, both safe integers; nothing is a float. */
export function assertPositiveWhole(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new DomainError(what === 'amount' ? 'invalid_amount' : 'invalid_order', `${what} must be a positive whole number`);
  }
}

/** `a × b`, refusing a product that would leave the safe-integer range. */
export function multiplyCents(a: number, b: number): number {
  const product = a * b;
  if (!Number.isSafeInteger(product)) throw new DomainError('invalid_order', 'amount is too large');
  return product;
}

/** `cents × (1 + basisPoints / 10 000)`, rounded up to the next cent. */
export function withCollar(cents: number, basisPoints: number): number {
  return Math.ceil((cents * (10_000 + basisPoints)) / 10_000);
}
