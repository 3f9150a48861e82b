import { Store } from '../session/store.ts';

const KEY = 'trading-core.watchlist';
export const DEFAULT_WATCHLIST: readonly string[] = ['AAPL', 'MSFT', 'TSLA', 'NVDA', 'SPY'];

/** The watched symbols, kept in this browser (localStorage) across sessions. */
export function watchlistStore(): Store<readonly string[]> {
  let saved: unknown;
  try {
    saved = JSON.parse(localStorage.getItem(KEY) ?? 'null');
  } catch {
    saved = null;
  }
  const initial = Array.isArray(saved) && saved.every((symbol) => typeof symbol === 'string') ? (saved as string[]) : DEFAULT_WATCHLIST;
  const store = new Store<readonly string[]>(initial);
  store.subscribe((symbols) => localStorage.setItem(KEY, JSON.stringify(symbols)));
  return store;
}
