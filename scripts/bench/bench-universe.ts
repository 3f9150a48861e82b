import { referenceUniverse } from '../../infrastructure/market/reference-universe.ts';

/** The named symbols other tests and the demo use: the benchmark leaves their sequences alone. */
const NAMED = new Set(['AAPL', 'MSFT', 'TSLA', 'NVDA', 'SPY', 'META', 'AMZN', 'GOOGL']);

/**
 * The benchmark's symbols: the fan-out only serves listed symbols, so these are the first `size`
 * generated symbols of the reference universe the server lists (same seed, and a universe at
 * least this large), with their reference prices. Index = Zipf rank.
 */
export function benchUniverse(size: number, seed: number): Array<{ symbol: string; referencePriceCents: number }> {
  const symbols = referenceUniverse({ seed, generated: size + NAMED.size }).filter((entry) => !NAMED.has(entry.symbol));
  return symbols.slice(0, size).map(({ symbol, referencePriceCents }) => ({ symbol, referencePriceCents }));
}

/** What the server must be told so that it lists every benchmark symbol. */
export function serverUniverseSize(size: number): number {
  return Math.max(5_000, size + NAMED.size);
}
