import { useEffect, useState } from 'preact/hooks';

/** The console's screens, in the URL's hash (`#/trade/AAPL`), so Back, reload and links work. */
export type Route = { readonly screen: 'trade'; readonly symbol: string } | { readonly screen: 'orders' | 'positions' | 'activity' };

/** What a listed symbol looks like (the contract's symbol pattern). */
export const TICKER = /^[A-Z][A-Z0-9.]{0,9}$/;

export function parseRoute(hash: string, fallbackSymbol: string): Route {
  const [screen, symbol] = hash.replace(/^#\/?/, '').split('/');
  if (screen === 'orders' || screen === 'positions' || screen === 'activity') return { screen };
  const wanted = decodeURIComponent(symbol ?? '').toUpperCase();
  return { screen: 'trade', symbol: TICKER.test(wanted) ? wanted : fallbackSymbol };
}

export function routeHref(route: Route): string {
  return route.screen === 'trade' ? `#/trade/${encodeURIComponent(route.symbol)}` : `#/${route.screen}`;
}

export function useRoute(fallbackSymbol: string): Route {
  const [hash, setHash] = useState(() => window.location.hash);
  useEffect(() => {
    const changed = () => setHash(window.location.hash);
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return parseRoute(hash, fallbackSymbol);
}
