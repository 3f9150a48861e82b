import { useEffect, useMemo, useRef } from 'preact/hooks';
import { DEFAULT_WATCHLIST, watchlistStore } from '../live/watchlist.ts';
import { type Route, routeHref, useRoute } from '../routing.ts';
import { useStore } from '../session/store.ts';
import type { TradingSession } from '../session/trading-session.ts';
import { AccountSummary } from './account-summary.tsx';
import { ActivityScreen } from './activity-screen.tsx';
import { FeedStatus } from './feed-status.tsx';
import { OrdersScreen } from './orders-screen.tsx';
import { PositionsScreen, useLivePositions } from './positions-screen.tsx';
import { SymbolView } from './symbol-view.tsx';
import { Watchlist } from './watchlist.tsx';

const SCREENS: ReadonlyArray<{ screen: Route['screen']; label: string }> = [
  { screen: 'trade', label: 'Trade' },
  { screen: 'orders', label: 'Orders' },
  { screen: 'positions', label: 'Positions' },
  { screen: 'activity', label: 'Activity' },
];

const TITLES: Record<Route['screen'], string> = { trade: 'Trade', orders: 'Orders', positions: 'Positions', activity: 'Account activity' };

/** The signed-in console: account bar, feed state, screens, and the watchlist beside them. */
export function ConsoleShell({ session, onSignOut }: { session: TradingSession; onSignOut: () => void }) {
  const watchlist = useMemo(() => watchlistStore(), []);
  const route = useRoute(useStore(watchlist)[0] ?? DEFAULT_WATCHLIST[0]!);
  const announcement = useStore(session.announcement);
  const main = useRef<HTMLElement>(null);
  const lastSymbol = useRef(route.screen === 'trade' ? route.symbol : 'AAPL');
  if (route.screen === 'trade') lastSymbol.current = route.symbol;
  useLivePositions(session);

  useEffect(() => {
    document.title = `${route.screen === 'trade' ? route.symbol : TITLES[route.screen]} — trading-core console`;
  }, [route.screen, route.screen === 'trade' ? route.symbol : '']);

  return (
    <div class="console">
      <a class="skip-link" href="#main" onClick={(event) => (event.preventDefault(), main.current?.focus())}>
        Skip to the screen
      </a>
      <header class="top-bar">
        <div class="brand">
          <strong>trading-core</strong> <span class="muted">trader console</span>
          <span class="account-id" title="Account id">
            Account <code>{session.accountId}</code>
          </span>
        </div>
        <FeedStatus feed={session.feed} />
        <button type="button" class="sign-out" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <AccountSummary session={session} />
      <nav aria-label="Screens" class="screens">
        <ul>
          {SCREENS.map(({ screen, label }) => (
            <li key={screen}>
              <a href={routeHref(screen === 'trade' ? { screen, symbol: lastSymbol.current } : { screen })} aria-current={route.screen === screen ? 'page' : undefined}>
                {label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <div class="layout">
        <main id="main" ref={main} tabIndex={-1} aria-label={TITLES[route.screen]}>
          {route.screen === 'trade' ? <SymbolView session={session} symbol={route.symbol} /> : null}
          {route.screen === 'orders' ? <OrdersScreen session={session} /> : null}
          {route.screen === 'positions' ? <PositionsScreen session={session} /> : null}
          {route.screen === 'activity' ? <ActivityScreen session={session} /> : null}
        </main>
        <aside aria-label="Watchlist">
          <Watchlist session={session} symbols={watchlist} selected={route.screen === 'trade' ? route.symbol : undefined} />
        </aside>
      </div>
      <p class="sr-only" role="status" aria-live="polite" id="order-announcements">
        {announcement}
      </p>
    </div>
  );
}
