/**
 * Zipf-distributed ranks: rank k (0-based) is drawn with weight 1 / (k + 1)^s, so a few symbols
 * are hot and a long tail is quiet, as on a real exchange.
 */
export class ZipfSampler {
  private readonly cumulative: Float64Array;

  constructor(
    readonly size: number,
    readonly exponent: number,
    private readonly random: () => number,
  ) {
    if (!(size >= 1)) throw new RangeError(`a Zipf distribution needs at least one rank (got ${size})`);
    this.cumulative = new Float64Array(size);
    let total = 0;
    for (let rank = 0; rank < size; rank += 1) {
      total += 1 / (rank + 1) ** exponent;
      this.cumulative[rank] = total;
    }
    for (let rank = 0; rank < size; rank += 1) this.cumulative[rank]! /= total;
  }

  /** The probability of one rank. */
  probability(rank: number): number {
    return this.cumulative[rank]! - (rank === 0 ? 0 : this.cumulative[rank - 1]!);
  }

  /** One rank: the first whose cumulative probability exceeds a uniform draw (binary search). */
  next(): number {
    const u = this.random();
    let low = 0;
    let high = this.size - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.cumulative[middle]! > u) high = middle;
      else low = middle + 1;
    }
    return low;
  }

  /** `count` distinct ranks, each drawn with the skew (redrawing repeats). */
  distinct(count: number): number[] {
    if (count > this.size) throw new RangeError(`cannot draw ${count} distinct ranks from ${this.size}`);
    const picked = new Set<number>();
    while (picked.size < count) picked.add(this.next());
    return [...picked];
  }
}
