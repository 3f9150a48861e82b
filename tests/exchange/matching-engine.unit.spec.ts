import { describe, expect, it } from 'vitest';
import { MatchingEngine, type ExchangeOrderRequest, type FeedReport } from '../../infrastructure/exchange-sim/matching-engine.ts';
import { SimulatedMarket, type SimulatedQuote } from '../../infrastructure/exchange-sim/simulated-market.ts';
import { referenceUniverse } from '../../infrastructure/market/reference-universe.ts';

function exchange() {
  const market = new SimulatedMarket(referenceUniverse({ seed: 1, generated: 5 }), 1, () => 0);
  const reports: FeedReport[] = [];
  const engine = new MatchingEngine(market, (report) => reports.push(report));
  const quote = market.quote('AAPL')!;
  return { market, engine, reports, quote };
}

const order = (change: Partial<ExchangeOrderRequest>): ExchangeOrderRequest => ({ clientOrderId: `c-${Math.random()}`, symbol: 'AAPL', side: 'buy', type: 'market', qty: 10, timeInForce: 'day', ...change });
const at = (quote: SimulatedQuote, change: Partial<SimulatedQuote>): SimulatedQuote => ({ ...quote, seq: quote.seq + 1, ...change });

describe('simulated exchange matching', () => {
  it('fills a market buy at the ask, at most the displayed size now and the rest on later quotes', () => {
    const { engine, reports, quote } = exchange();
    const { order: placed } = engine.place(order({ qty: quote.displayedQty + 50 }));
    expect(placed.status).toBe('partially_filled');
    expect(reports[0]).toMatchObject({ type: 'execution', qty: quote.displayedQty, priceCents: quote.askCents, leavesQty: 50 });

    engine.onQuote(at(quote, { askCents: quote.askCents + 3, displayedQty: 500 }));
    expect(placed.status).toBe('filled');
    expect(reports[1]).toMatchObject({ type: 'execution', qty: 50, priceCents: quote.askCents + 3, leavesQty: 0 });
  });

  it('sells at the bid', () => {
    const { engine, reports, quote } = exchange();
    engine.place(order({ side: 'sell', qty: 1 }));
    expect(reports[0]).toMatchObject({ priceCents: quote.bidCents, side: 'sell' });
  });

  it('rests a limit buy below the ask until the ask comes down to it', () => {
    const { engine, reports, quote } = exchange();
    const { order: placed } = engine.place(order({ type: 'limit', limitPriceCents: quote.askCents - 100, qty: 5 }));
    expect(placed.status).toBe('accepted');
    engine.onQuote(at(quote, { askCents: quote.askCents - 50 }));
    expect(reports).toHaveLength(0);
    engine.onQuote(at(quote, { askCents: quote.askCents - 100 }));
    expect(placed.status).toBe('filled');
    expect(reports[0]).toMatchObject({ qty: 5, priceCents: quote.askCents - 100 });
  });

  it('never fills a market buy above its protection price', () => {
    const { engine, reports, quote } = exchange();
    const { order: placed } = engine.place(order({ protectionPriceCents: quote.askCents - 1 }));
    expect(placed.status).toBe('accepted');
    expect(reports).toHaveLength(0);
  });

  it('cancels what an IOC order cannot fill at once', () => {
    const { engine, reports, quote } = exchange();
    const { order: placed } = engine.place(order({ timeInForce: 'ioc', qty: quote.displayedQty + 7 }));
    expect(placed).toMatchObject({ status: 'canceled', filledQty: quote.displayedQty });
    expect(reports.map((report) => report.type)).toEqual(['execution', 'order_status']);
  });

  it('fills a FOK order whole or not at all', () => {
    const { engine, reports, quote } = exchange();
    const { order: tooBig } = engine.place(order({ timeInForce: 'fok', qty: quote.displayedQty + 1 }));
    const { order: fits } = engine.place(order({ timeInForce: 'fok', qty: quote.displayedQty }));
    expect(tooBig).toMatchObject({ status: 'canceled', filledQty: 0 });
    expect(fits).toMatchObject({ status: 'filled', filledQty: quote.displayedQty });
    expect(reports.filter((report) => report.type === 'execution')).toHaveLength(1);
  });

  it('expires open day orders at the close and keeps gtc ones', () => {
    const { engine, quote } = exchange();
    const { order: day } = engine.place(order({ type: 'limit', limitPriceCents: quote.askCents - 500 }));
    const { order: gtc } = engine.place(order({ type: 'limit', limitPriceCents: quote.askCents - 500, timeInForce: 'gtc' }));
    engine.closeDay();
    expect(day.status).toBe('expired');
    expect(gtc.status).toBe('accepted');
  });

  it('answers the same clientOrderId with the order it placed', () => {
    const { engine } = exchange();
    const first = engine.place(order({ clientOrderId: 'same', type: 'limit', limitPriceCents: 1 }));
    const again = engine.place(order({ clientOrderId: 'same', type: 'limit', limitPriceCents: 1 }));
    expect(again).toEqual({ order: first.order, created: false });
  });

  it('cancels a resting order and reports it once', () => {
    const { engine, reports } = exchange();
    const { order: placed } = engine.place(order({ type: 'limit', limitPriceCents: 1 }));
    engine.cancel(placed.externalOrderId);
    engine.cancel(placed.externalOrderId);
    expect(placed.status).toBe('canceled');
    expect(reports).toEqual([{ type: 'order_status', externalOrderId: placed.externalOrderId, clientOrderId: placed.clientOrderId, status: 'canceled' }]);
  });

  it('rejects an unknown symbol', () => {
    const { engine } = exchange();
    expect(engine.place(order({ symbol: 'NOPE' })).order).toMatchObject({ status: 'rejected', rejectReason: 'unknown_symbol' });
  });

  it('names its session in every order id, so a restarted exchange never gives out an id again', () => {
    const market = new SimulatedMarket(referenceUniverse({ seed: 1, generated: 5 }), 1, () => 0);
    const before = new MatchingEngine(market, () => undefined, 'S1');
    const after = new MatchingEngine(market, () => undefined, 'S2');
    const first = before.place(order({ type: 'limit', limitPriceCents: 1, timeInForce: 'gtc' })).order;
    const again = after.place(order({ type: 'limit', limitPriceCents: 1, timeInForce: 'gtc' })).order;
    expect([first.externalOrderId, again.externalOrderId]).toEqual(['EX-S1-00000001', 'EX-S2-00000001']);
  });

  it('cancels only when the exchange id and the clientOrderId name the same order', () => {
    const { engine } = exchange();
    const resting = engine.place(order({ clientOrderId: 'mine', type: 'limit', limitPriceCents: 1, timeInForce: 'gtc' })).order;
    expect(engine.cancel(resting.externalOrderId, 'somebody-else')).toBeUndefined();
    expect(resting.status).toBe('accepted');
    expect(engine.cancel(resting.externalOrderId, 'mine')?.status).toBe('canceled');
  });
});
