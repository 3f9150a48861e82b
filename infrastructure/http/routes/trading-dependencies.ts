import type { FastifyRequest } from 'fastify';
import type { moveFunds } from '../../../application/accounts/move-funds.ts';
import type { ApiKeyAuthenticator, ApiKeyDirectory, createApiKey, revokeApiKey } from '../../../application/api-keys/api-keys.ts';
import type { AuditQueries } from '../../../application/audit/audit-queries.ts';
import type { CandleQueries } from '../../../application/market/candles.ts';
import type { QuoteSource, SymbolCatalog } from '../../../application/market/market-data.ts';
import type { StreamTickets } from '../../../application/market/stream-tickets.ts';
import type { cancelOrder } from '../../../application/orders/cancel-order.ts';
import type { placeOrder } from '../../../application/orders/place-order.ts';
import type { ReadModelQueries } from '../../../application/read-models/queries.ts';
import type { ReadModelSearches } from '../../../application/read-models/searches.ts';
import type { cancelAllOrders } from '../../../application/orders/cancel-all-orders.ts';
import type { closePosition } from '../../../application/orders/close-position.ts';
import type { Clock, CommandContext } from '../../../application/shared/command-context.ts';
import { actor, principalOf } from '../authentication.ts';

/** What the trading routes need: use cases, read-model queries and market data. */
export interface TradingDependencies {
  readonly moveFunds: ReturnType<typeof moveFunds>;
  readonly placeOrder: ReturnType<typeof placeOrder>;
  readonly cancelOrder: ReturnType<typeof cancelOrder>;
  readonly queries: ReadModelQueries;
  readonly catalog: SymbolCatalog;
  readonly quotes: QuoteSource;
  /** OHLCV candles the candles consumer keeps. */
  readonly candles: CandleQueries;
  readonly clock: Clock;
  readonly streamTickets: StreamTickets;
  /** Traders may fund their own accounts (paper trading; on in the embedded mode). */
  readonly paperFunding: boolean;
  /** Paper mode: accounts `POST /v1/paper/accounts` opens per client address per minute. */
  readonly paperAccountsPerMinute: number;
  /** Stream events and point-in-time account state, for auditors (api.md, Audit). */
  readonly audit: AuditQueries;
  /** The event log's settled head (reads that must see every earlier write wait for it). */
  readonly logHead: () => Promise<bigint>;
  /** The Alpaca-compatible face's searches and bulk commands. */
  readonly searches: ReadModelSearches;
  readonly cancelAllOrders: ReturnType<typeof cancelAllOrders>;
  readonly closePosition: ReturnType<typeof closePosition>;
  /** API key pairs: their use cases, the read model, and the check every request with one makes. */
  readonly apiKeys: {
    readonly create: ReturnType<typeof createApiKey>;
    readonly revoke: ReturnType<typeof revokeApiKey>;
    readonly directory: ApiKeyDirectory;
    readonly authenticate: ApiKeyAuthenticator;
  };
}

/** The command context of a request: the request id correlates every event it causes. */
export function commandContext(request: FastifyRequest, clock: Clock): CommandContext {
  return {
    correlationId: request.id,
    causationId: request.id,
    principal: actor(principalOf(request)),
    occurredAt: clock.now().toISOString(),
  };
}
