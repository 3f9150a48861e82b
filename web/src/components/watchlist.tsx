import { useEffect, useState } from 'preact/hooks';
import type { SymbolQuote } from '../api/contract.ts';
import { ApiFailure, messageOf } from '../api/http-client.ts';
import { useQuote } from '../live/use-quotes.ts';
import { formatCents, formatPercent } from '../money/cents.ts';
import { routeHref, TICKER } from '../routing.ts';
import { type Store, useStore } from '../session/store.ts';
import type { TradingSession } from '../session/trading-session.ts';
import { PriceMove } from './price-move.tsx';


function WatchRow({ session, symbol, selected, onRemove }: { session: TradingSession; symbol: string; selected: boolean; onRemove: () => void }) {
  const quote = useQuote(session.feed.quotes, symbol);
  return (
    <tr data-symbol={symbol} data-seq={quote?.seq ?? ''} data-price-cents={quote?.priceCents ?? ''} data-direction={quote?.direction ?? ''} data-stale={quote?.stale ? 'true' : 'false'} class={selected ? 'selected' : ''}>
      <th scope="row">
        <a href={routeHref({ screen: 'trade', symbol })} aria-current={selected ? 'page' : undefined}>
          {symbol}
        </a>
      </th>
      <td class="num">
        {quote ? (
          // Keyed by seq: each new quote starts the flash again.
          <span key={quote.seq} class={`price flash-${quote.direction}`}>
            {formatCents(quote.priceCents)} <PriceMove direction={quote.direction} />
          </span>
        ) : (
          <span class="muted">waiting…</span>
        )}
      </td>
      <td class="num">
        {quote ? formatPercent(quote.changePct) : ''}
        {quote?.stale ? <span class="badge badge-stale"> stale</span> : null}
      </td>
      <td>
        <button type="button" class="icon-button" onClick={onRemove} aria-label={`Remove ${symbol} from the watchlist`} title={`Remove ${symbol}`}>
          ✕
        </button>
      </td>
    </tr>
  );
}

/** Watched symbols with live prices: each tick flashes up or down (arrow and word too), stale symbols say so. */
export function Watchlist({ session, symbols, selected }: { session: TradingSession; symbols: Store<readonly string[]>; selected: string | undefined }) {
  const watched = useStore(symbols);
  const [entry, setEntry] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    session.feed.want('watchlist', watched);
    return () => session.feed.want('watchlist', []);
  }, [session, watched]);

  async function add(event: Event) {
    event.preventDefault();
    const symbol = entry.trim().toUpperCase();
    if (!TICKER.test(symbol)) return setError('Enter a ticker such as AAPL.');
    if (watched.includes(symbol)) return setError(`${symbol} is already on the watchlist.`);
    setBusy(true);
    try {
      await session.http.get<SymbolQuote>(`/v1/symbols/${encodeURIComponent(symbol)}`);
      symbols.set([...watched, symbol]);
      setEntry('');
      setError('');
    } catch (failure) {
      setError(failure instanceof ApiFailure && failure.status === 404 ? `${symbol} is not listed.` : messageOf(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="panel watchlist" aria-labelledby="watchlist-title">
      <h2 id="watchlist-title">Watchlist</h2>
      <form class="inline-form" onSubmit={add} noValidate>
        <label for="watch-add">Add symbol</label>
        <div class="inline-row">
          <input id="watch-add" name="symbol" autocomplete="off" spellcheck={false} value={entry} onInput={(event) => setEntry(event.currentTarget.value)} aria-invalid={error ? 'true' : 'false'} aria-describedby="watch-add-error" />
          <button type="submit" disabled={busy}>
            Add
          </button>
        </div>
        <p id="watch-add-error" class="field-error" aria-live="polite">
          {error}
        </p>
      </form>
      <table class="data watch-table">
        <caption class="sr-only">Live prices of the watched symbols</caption>
        <thead>
          <tr>
            <th scope="col">Symbol</th>
            <th scope="col" class="num">Last</th>
            <th scope="col" class="num">Today</th>
            <th scope="col">
              <span class="sr-only">Remove</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {watched.map((symbol) => (
            <WatchRow key={symbol} session={session} symbol={symbol} selected={symbol === selected} onRemove={() => symbols.set(watched.filter((other) => other !== symbol))} />
          ))}
        </tbody>
      </table>
      {watched.length === 0 ? <p class="muted">Nothing watched: add a symbol above.</p> : null}
    </section>
  );
}
