import type { ListedSymbol, SymbolCatalog } from '../../../application/market/market-data.ts';
import { assetId } from './alpaca-model.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface SymbolIndex {
  readonly all: readonly ListedSymbol[];
  readonly bySymbol: ReadonlyMap<string, ListedSymbol>;
  readonly byAssetId: ReadonlyMap<string, string>;
}

const indexes = new WeakMap<SymbolCatalog, SymbolIndex>();

/** The catalog's symbols, by symbol and by Alpaca asset id, read once (the listed universe does not change while running). */
function indexOf(catalog: SymbolCatalog): SymbolIndex {
  let index = indexes.get(catalog);
  if (!index) {
    const all: ListedSymbol[] = [];
    for (let page = catalog.list({ limit: 1_000 }); page.length > 0; page = catalog.list({ after: page[page.length - 1]!.symbol, limit: 1_000 })) all.push(...page);
    index = { all, bySymbol: new Map(all.map((entry) => [entry.symbol, entry])), byAssetId: new Map(all.map(({ symbol }) => [assetId(symbol), symbol])) };
    indexes.set(catalog, index);
  }
  return index;
}

/** Every listed symbol, in the catalog's order. */
export const allSymbols = (catalog: SymbolCatalog): readonly ListedSymbol[] => indexOf(catalog).all;

/** The listed symbol a path names, by symbol or by Alpaca asset id; undefined when none is listed. */
export function symbolOf(catalog: SymbolCatalog, symbolOrAssetId: string): string | undefined {
  if (!UUID.test(symbolOrAssetId)) {
    const symbol = symbolOrAssetId.toUpperCase();
    return catalog.isListed(symbol) ? symbol : undefined;
  }
  return indexOf(catalog).byAssetId.get(symbolOrAssetId.toLowerCase());
}

/** A listed symbol with its name. */
export const listedSymbol = (catalog: SymbolCatalog, symbol: string): ListedSymbol | undefined => indexOf(catalog).bySymbol.get(symbol);
