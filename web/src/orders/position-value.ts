import type { Position } from '../api/contract.ts';

/** What a position cost in all: the server's value minus its P/L (both exact), else qty × average cost. */
export function costBasisCents(position: Position): number {
  return position.marketValueCents !== null && position.unrealizedPlCents !== null ? position.marketValueCents - position.unrealizedPlCents : position.qty * position.avgCostCents;
}

export interface ValuedPosition {
  readonly position: Position;
  readonly priceCents: number | null;
  readonly marketValueCents: number | null;
  readonly unrealizedPlCents: number | null;
}

/** A position at the latest price (a live quote when there is one, else the server's), in integer cents. */
export function valuePosition(position: Position, livePriceCents: number | undefined): ValuedPosition {
  const priceCents = livePriceCents ?? position.marketPriceCents;
  if (priceCents === null) return { position, priceCents: null, marketValueCents: null, unrealizedPlCents: null };
  const marketValueCents = priceCents * position.qty;
  return { position, priceCents, marketValueCents, unrealizedPlCents: marketValueCents - costBasisCents(position) };
}

export interface ValuedPositions {
  readonly rows: readonly ValuedPosition[];
  readonly marketValueCents: number;
  readonly unrealizedPlCents: number;
}

/** Every position at the latest price, with the totals (positions without a price count nothing). */
export function valuePositions(positions: readonly Position[], livePriceCents: (symbol: string) => number | undefined): ValuedPositions {
  const rows = positions.map((position) => valuePosition(position, livePriceCents(position.symbol)));
  return {
    rows,
    marketValueCents: rows.reduce((sum, row) => sum + (row.marketValueCents ?? 0), 0),
    unrealizedPlCents: rows.reduce((sum, row) => sum + (row.unrealizedPlCents ?? 0), 0),
  };
}
