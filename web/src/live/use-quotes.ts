import { useEffect, useState } from 'preact/hooks';
import type { LiveQuote, QuoteBook } from './quote-book.ts';

/** The newest quote of `symbol`; renders again on each one. */
export function useQuote(book: QuoteBook, symbol: string): LiveQuote | undefined {
  const [quote, setQuote] = useState(() => book.get(symbol));
  useEffect(() => {
    setQuote(book.get(symbol));
    return book.subscribe(symbol, setQuote);
  }, [book, symbol]);
  return quote;
}

/** The newest quote of each symbol (for sums over positions); renders again when any moves. */
export function useQuotes(book: QuoteBook, symbols: readonly string[]): ReadonlyMap<string, LiveQuote> {
  const key = symbols.join(',');
  const [quotes, setQuotes] = useState<ReadonlyMap<string, LiveQuote>>(new Map());
  useEffect(() => {
    const read = () => setQuotes(new Map(symbols.flatMap((symbol) => (book.get(symbol) ? [[symbol, book.get(symbol)!] as const] : []))));
    read();
    const removers = symbols.map((symbol) => book.subscribe(symbol, read));
    return () => removers.forEach((remove) => remove());
  }, [book, key]); // `key` stands for the symbols: a new array of the same symbols is no change
  return quotes;
}
