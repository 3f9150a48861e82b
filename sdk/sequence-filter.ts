/**
 * Per symbol, the newest sequence number delivered: anything not newer (a repeat after a
 * reconnect, a snapshot older than what another instance already sent) is dropped and counted.
 */
export class SequenceFilter {
  private readonly newest = new Map<string, number>();
  private droppedCount = 0;

  /** True when `seq` is newer than anything seen for `symbol` (and records it); false drops it. */
  accept(symbol: string, seq: number): boolean {
    const seen = this.newest.get(symbol);
    if (seen !== undefined && seq <= seen) {
      this.droppedCount += 1;
      return false;
    }
    this.newest.set(symbol, seq);
    return true;
  }

  /** How many entries were dropped as not newer. */
  get dropped(): number {
    return this.droppedCount;
  }

  lastSeq(symbol: string): number | undefined {
    return this.newest.get(symbol);
  }

  /** The `since` of a subscribe: the last seq seen of each of these symbols that has one. */
  since(symbols: Iterable<string>): Record<string, number> {
    const since: Record<string, number> = {};
    for (const symbol of symbols) {
      const seen = this.newest.get(symbol);
      if (seen !== undefined) since[symbol] = seen;
    }
    return since;
  }
}
