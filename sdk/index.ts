/**
 * The price-socket client SDK: `import { PriceStreamClient } from 'trading-core/sdk'`.
 *
 *   const client = new PriceStreamClient({ urls: ['ws://127.0.0.1:3001/v1/stream'], token: () => fetchToken() });
 *   client.on('quote', (quote) => render(quote));
 *   client.subscribe(['AAPL', 'TSLA']);
 *   await client.connect();
 *
 * It runs in browsers too: it uses the global WebSocket when there is one (or the `WebSocket`
 * option), and the `ws` package only on runtimes without one (Node 20).
 */
export { PriceStreamClient, type PriceStreamClientOptions, type PriceStreamEvents, type Quote, type TokenProvider } from './price-stream-client.ts';
export { DEFAULT_BACKOFF, ExponentialBackoff, fullJitterDelay, type BackoffOptions } from './backoff.ts';
export { SequenceFilter } from './sequence-filter.ts';
export { CLOSE_CODES, parseServerMessage, type ClientMessage, type Order, type OrderStatus, type QuoteFields, type ServerMessage, type StreamError } from './protocol.ts';
export { TypedEvents } from './typed-events.ts';
export { READY_STATE, type WebSocketConstructor, type WebSocketLike } from './web-socket.ts';
