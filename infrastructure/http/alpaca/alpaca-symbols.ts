import type { ListedSymbol, SymbolCatalog } from '../../../application/market/market-data.ts';
import { assetId } from './alpaca-model.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const byAssetId = new WeakMap<SymbolCatalog, Map<string, string>>();
const bySymbol = new WeakMap<SymbolCatalog, Map<string, ListedSymbol>>();

/** Every listed symbol, in the catalog's order. */
export function allSymbols(catalog: SymbolCatalog): ListedSymbol[] {
  const symbols: ListedSymbol[] = [];
  for (let page = catalog.list({ limit: 1_000 }); page.length > 0; page = catalog.list({ after: page[page.length - 1]!.symbol, limit: 1_000 })) symbols.push(...page);
  return symbols;
}

/** The listed symbol a path names, by symbol or by Alpaca asset id; undefined when none is listed. */
export function symbolOf(catalog: SymbolCatalog, symbolOrAssetId: string): string | undefined {
  if (!UUID.test(symbolOrAssetId)) {
    const symbol = symbolOrAssetId.toUpperCase();
    return catalog.isListed(symbol) ? symbol : undefined;
  }
  let index = byAssetId.get(catalog);
  if (!index) {
    index = new Map(allSymbols(catalog).map(({ symbol }) => [assetId(symbol), symbol]));
    byAssetId.set(catalog, index);
  }
  return index.get(symbolOrAssetId.toLowerCase());
}

/** A listed symbol with its name. */
export function listedSymbol(catalog: SymbolCatalog, symbol: string): ListedSymbol | undefined {
  let index = bySymbol.get(catalog);
  if (!index) {
    index = new Map(allSymbols(catalog).map((entry) => [entry.symbol, entry]));
    bySymbol.set(catalog, index);
  }
  return index.get(symbol);
}
