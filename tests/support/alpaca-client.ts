import { Alpaca } from '@alpacahq/alpaca-trade-api';

/** The hosts the official 4.x SDK has built in (it has no base-URL option). */
const ALPACA_HOSTS = /^https:\/\/(paper-api|api|data|data\.sandbox)\.alpaca\.markets/;

export interface AlpacaClientTarget {
  /** Our API, e.g. `http://127.0.0.1:3000` (trading and market-data REST both). */
  readonly apiUrl: string;
  /** Our price-socket port, e.g. `ws://127.0.0.1:3001` (`/stream`, `/v2/{feed}`). */
  readonly streamUrl: string;
  readonly keyId: string;
  readonly secret: string;
}

/**
 * The official SDK (4.x) pointed at trading-core, as docs/alpaca-compatibility.md tells a user:
 * a `middleware` that sends Alpaca's hosts to ours; no client-side retries or throttling, so a
 * test sees each request once. Streams: `client.tradeStream()`, `client.stockStream(feed)`.
 */
export function alpacaClient(target: AlpacaClientTarget) {
  const rehost = { pre: async ({ url, init }: { url: string; init: RequestInit }) => ({ url: url.replace(ALPACA_HOSTS, target.apiUrl), init }) };
  const alpaca = new Alpaca({ keyId: target.keyId, secret: target.secret, paper: true, middleware: [rehost], retry: false, rateLimit: false });
  return {
    alpaca,
    tradeStream: () => alpaca.trading.stream({ url: `${target.streamUrl}/stream`, reconnect: false }),
    stockStream: (feed: 'iex' | 'sip' | 'delayed_sip' | 'test' = 'iex') => alpaca.marketData.stockStream({ url: `${target.streamUrl}/v2/${feed}`, reconnect: false }),
  };
}
