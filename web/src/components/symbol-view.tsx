import { useEffect, useState } from 'preact/hooks';
import type { SymbolQuote } from '../api/contract.ts';
import { ApiFailure, messageOf } from '../api/http-client.ts';
import { useQuote } from '../live/use-quotes.ts';
import { formatCents, formatPercent } from '../money/cents.ts';
import type { TradingSession } from '../session/trading-session.ts';
import { CandleChart } from './candle-chart.tsx';
import { OrderTicket } from './order-ticket.tsx';
import { PriceMove } from './price-move.tsx';
import { formatTime } from './time.ts';

/** One symbol: its live quote, its candles and the order ticket. */
export function SymbolView({ session, symbol }: { session: TradingSession; symbol: string }) {
  const live = useQuote(session.feed.quotes, symbol);
  const [first, setFirst] = useState<SymbolQuote | undefined>(undefined);
  const [missing, setMissing] = useState('');

  useEffect(() => {
    session.feed.want('symbol-view', [symbol]);
    return () => session.feed.want('symbol-view', []);
  }, [session, symbol]);
  useEffect(() => {
    setFirst(undefined);
    setMissing('');
    session.http.get<SymbolQuote>(`/v1/symbols/${encodeURIComponent(symbol)}`).then(setFirst, (failure: unknown) => {
      setMissing(failure instanceof ApiFailure && failure.status === 404 ? `${symbol} is not listed.` : messageOf(failure));
    });
  }, [session, symbol]);

  const quote = live ?? first;
  return (
    <div class="trade-screen">
      <section class="panel symbol-view" aria-labelledby="symbol-title" data-symbol={symbol} data-seq={quote?.seq ?? ''}>
        <h2 id="symbol-title">{symbol}</h2>
        {missing ? (
          <p class="field-error" role="alert">
            {missing}
          </p>
        ) : quote ? (
          <>
            <p class="quote-line">
              <span class={`big-price flash-${live?.direction ?? 'unchanged'}`} key={quote.seq}>
                {formatCents(quote.priceCents)}
              </span>{' '}
              {live ? <PriceMove direction={live.direction} /> : null} <span class="change">{formatPercent(quote.changePct)} today</span>
              {live?.stale ? <span class="badge badge-stale">stale: the feed of {symbol} stopped</span> : null}
            </p>
            <dl class="facts">
              <div>
                <dt>Bid</dt>
                <dd>{formatCents(quote.bidCents)}</dd>
              </div>
              <div>
                <dt>Ask</dt>
                <dd>{formatCents(quote.askCents)}</dd>
              </div>
              <div>
                <dt>Volume</dt>
                <dd>{quote.volume.toLocaleString('en-US')}</dd>
              </div>
              <div>
                <dt>As of</dt>
                <dd>
                  {formatTime(quote.ts)} (seq {quote.seq})
                </dd>
              </div>
            </dl>
          </>
        ) : (
          <p class="muted">Waiting for the first quote…</p>
        )}
        {missing ? null : <CandleChart session={session} symbol={symbol} />}
      </section>
      {/* A new symbol is a new ticket: nothing typed or answered for the last one carries over. */}
      <OrderTicket key={symbol} session={session} symbol={symbol} />
    </div>
  );
}
