import { useEffect } from 'preact/hooks';
import { useQuotes } from '../live/use-quotes.ts';
import { formatCents, formatSignedCents } from '../money/cents.ts';
import { valuePositions } from '../orders/position-value.ts';
import { routeHref } from '../routing.ts';
import { useStore } from '../session/store.ts';
import type { TradingSession } from '../session/trading-session.ts';
import { directionOf, PriceMove } from './price-move.tsx';

/** Held symbols with market value and unrealized P/L at the live price, signed in words and arrows. */
export function PositionsScreen({ session }: { session: TradingSession }) {
  const positions = useStore(session.positions);
  const symbols = (positions ?? []).map((position) => position.symbol);
  const quotes = useQuotes(session.feed.quotes, symbols);
  const { rows: valued, marketValueCents: totalValue, unrealizedPlCents: totalPl } = valuePositions(positions ?? [], (symbol) => quotes.get(symbol)?.priceCents);

  return (
    <section class="panel" aria-labelledby="positions-title">
      <h2 id="positions-title">Positions</h2>
      {positions === undefined ? (
        <p class="muted">Loading…</p>
      ) : positions.length === 0 ? (
        <p class="muted">
          No positions yet. <a href={routeHref({ screen: 'trade', symbol: 'AAPL' })}>Place an order</a> to open one.
        </p>
      ) : (
        <table class="data" id="positions">
          <thead>
            <tr>
              <th scope="col">Symbol</th>
              <th scope="col" class="num">Qty</th>
              <th scope="col" class="num">Avg cost</th>
              <th scope="col" class="num">Price</th>
              <th scope="col" class="num">Market value</th>
              <th scope="col" class="num">Unrealized P/L</th>
            </tr>
          </thead>
          <tbody>
            {valued.map(({ position, priceCents, marketValueCents, unrealizedPlCents }) => (
              <tr key={position.symbol} data-symbol={position.symbol} data-qty={position.qty} data-market-value-cents={marketValueCents ?? ''} data-unrealized-pl-cents={unrealizedPlCents ?? ''}>
                <th scope="row">
                  <a href={routeHref({ screen: 'trade', symbol: position.symbol })}>{position.symbol}</a>
                </th>
                <td class="num">
                  {position.qty}
                  {position.reservedQty > 0 ? <span class="muted"> ({position.reservedQty} held for sells)</span> : null}
                </td>
                <td class="num">{formatCents(position.avgCostCents)}</td>
                <td class="num">{priceCents === null ? '—' : formatCents(priceCents)}</td>
                <td class="num">{marketValueCents === null ? '—' : formatCents(marketValueCents)}</td>
                <td class={`num pl pl-${unrealizedPlCents === null ? 'unchanged' : directionOf(unrealizedPlCents)}`}>
                  {unrealizedPlCents === null ? '—' : <>{formatSignedCents(unrealizedPlCents)} <PriceMove direction={directionOf(unrealizedPlCents)} /></>}
                </td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row" colSpan={4}>
                Total
              </th>
              <td class="num">{formatCents(totalValue)}</td>
              <td class={`num pl pl-${directionOf(totalPl)}`}>
                {formatSignedCents(totalPl)} <PriceMove direction={directionOf(totalPl)} />
              </td>
            </tr>
          </tfoot>
        </table>
      )}
    </section>
  );
}

/** Positions are live wherever the console shows value: keep their symbols on the socket. */
export function useLivePositions(session: TradingSession): void {
  const positions = useStore(session.positions);
  const key = (positions ?? []).map((position) => position.symbol).join(',');
  useEffect(() => {
    session.feed.want('positions', key ? key.split(',') : []);
    return () => session.feed.want('positions', []);
  }, [session, key]);
}
