import type { Candle } from '../../../application/market/candles.ts';
import type { Quote } from '../../../application/market/market-data.ts';
import { centsToNumber } from './alpaca-decimal.ts';

/**
 * Quotes, trades and bars in the shapes of Alpaca's market data (short keys), for the REST routes
 * and the stock data stream alike. Pure functions.
 */

/** The venue is simulated; quotes carry no sizes. Prices are JSON numbers of dollars, as on Alpaca's data API. */
export const alpacaQuote = (quote: Quote) => ({ ap: centsToNumber(quote.askCents), as: 0, ax: 'Q', bp: centsToNumber(quote.bidCents), bs: 0, bx: 'Q', c: ['R'], t: quote.ts, z: 'C' });
export const alpacaTrade = (quote: Quote) => ({ c: ['@'], i: quote.seq, p: centsToNumber(quote.priceCents), s: 0, t: quote.ts, x: 'Q', z: 'C' });
export const alpacaBar = (candle: Candle) => ({ t: new Date(candle.startMs).toISOString(), o: centsToNumber(candle.openCents), h: centsToNumber(candle.highCents), l: centsToNumber(candle.lowCents), c: centsToNumber(candle.closeCents), v: candle.volume });
