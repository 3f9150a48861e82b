import type { Registry } from 'prom-client';
import type { ApiKeyAuthenticator } from '../../application/api-keys/api-keys.ts';
import type { OrderUpdates, SymbolCatalog, TickStream } from '../../application/market/market-data.ts';
import type { StreamTickets } from '../../application/market/stream-tickets.ts';
import type { Config } from '../config/config.ts';
import type { StreamCredentials } from '../fanout/alpaca/alpaca-connection.ts';
import { AlpacaDataStream } from '../fanout/alpaca/data-stream.ts';
import { AlpacaTradingStream } from '../fanout/alpaca/trading-stream.ts';
import { FanoutHub, type FanoutLimits, type TopicPublisher } from '../fanout/fanout-hub.ts';
import { listenUws, type StreamServer } from '../fanout/uws-stream-server.ts';
import { listenWs } from '../fanout/ws-stream-server.ts';
import { tokenVerifier } from '../http/authentication.ts';
import type { Logger } from '../logging/logger.ts';

export interface RunningFanout {
  readonly hub: FanoutHub;
  readonly port: number;
  stop(): Promise<void>;
}

export interface FanoutSettings {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly transport: Config['FANOUT_TRANSPORT'];
  readonly limits?: Partial<FanoutLimits>;
}

export interface FanoutDependencies {
  readonly stream: TickStream;
  readonly catalog: Pick<SymbolCatalog, 'isListed'>;
  readonly orderUpdates: OrderUpdates;
  /** Redeems the SSE stream's tickets (issued by the API); without it SSE takes bearer headers only. */
  readonly tickets?: StreamTickets;
  readonly jwtSecret: string;
  /** API key pairs for the Alpaca streams (the `api_keys` read model); without it they take our bearer JWT only. */
  readonly apiKeys?: ApiKeyAuthenticator;
  readonly logger: Logger;
  readonly metrics: Registry;
}

/** The fan-out settings a process reads from its configuration. */
export function fanoutSettings(config: Config): FanoutSettings {
  return {
    host: config.HOST,
    port: config.STREAM_PORT,
    transport: config.FANOUT_TRANSPORT,
    limits: {
      windowMs: config.STREAM_CONFLATION_MS,
      maxSymbolsPerConnection: config.STREAM_MAX_SYMBOLS,
      slowBufferedBytes: config.STREAM_SLOW_BUFFER_BYTES,
      maxBufferedBytes: config.STREAM_MAX_BUFFER_BYTES,
      maxBehindMs: config.STREAM_MAX_BEHIND_MS,
    },
  };
}

/** The `fanout` process (or the price socket inside the embedded mode). */
export async function startFanout(settings: FanoutSettings, deps: FanoutDependencies): Promise<RunningFanout> {
  const verifyToken = tokenVerifier(deps.jwtSecret);
  const hub = new FanoutHub({
    stream: deps.stream,
    catalog: deps.catalog,
    orderUpdates: deps.orderUpdates,
    verifyToken,
    logger: deps.logger,
    metrics: deps.metrics,
    ...(settings.limits ? { limits: settings.limits } : {}),
  });
  const credentials: StreamCredentials = { apiKey: deps.apiKeys ?? (async () => undefined), token: verifyToken };
  const streamOptions = { credentials, limits: hub.limits, logger: deps.logger, metrics: deps.metrics };
  // Alpaca's streams ride on the uWS transport only (the `ws` baseline exists for the benchmark).
  const alpaca = settings.transport === 'uws' ? { trading: new AlpacaTradingStream({ ...streamOptions, orders: hub.orders }), data: new AlpacaDataStream(streamOptions) } : undefined;
  if (alpaca) hub.addWindowListener(alpaca.data);
  const { server, publisher }: { server: StreamServer; publisher: TopicPublisher } =
    settings.transport === 'uws'
      ? await listenUws(hub, { host: settings.host, port: settings.port, sse: { verifyToken, tickets: deps.tickets }, ...(alpaca ? { alpaca } : {}) })
      : await listenWs(hub, { host: settings.host, port: settings.port });
  await hub.start(publisher);
  deps.logger.info({ url: `ws://${settings.host}:${server.port}/v1/stream`, alpaca: alpaca ? ['/stream', '/v2/{feed}'] : [], transport: settings.transport }, 'price socket listening');
  return {
    hub,
    port: server.port,
    async stop() {
      await server.close();
      alpaca?.trading.closeAll();
      alpaca?.data.closeAll();
      await hub.stop();
    },
  };
}
