import type { Quote, QuoteSource } from '../../application/market/market-data.ts';

/** The first source that has a quote for the symbol. */
export class FallbackQuoteSource implements QuoteSource {
  private readonly sources: readonly QuoteSource[];

  constructor(...sources: QuoteSource[]) {
    this.sources = sources;
  }

  async latest(symbol: string): Promise<Quote | undefined> {
    for (const source of this.sources) {
      const quote = await source.latest(symbol);
      if (quote) return quote;
    }
    return undefined;
  }
}
