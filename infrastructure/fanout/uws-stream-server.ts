import uWS from 'uWebSockets.js';
import { mountAlpacaStreams, type AlpacaStreams } from './alpaca/uws-alpaca-streams.ts';
import type { FanoutHub, FanoutLimits, Session, TopicPublisher } from './fanout-hub.ts';
import { mountSse } from './sse-stream.ts';
import { markUwsClosed, TRANSPORT_MAX_FRAME_BYTES, uwsConnection, withinFrameLimit, type UwsSocketData } from './uws-connection.ts';

export interface StreamServer {
  readonly port: number;
  close(): Promise<void>;
}

const STREAM_PATH = '/v1/stream';

/** The package can fall back to a `ws`-based imitation; the fan-out tier refuses to run on it. */
export function assertNativeUws(): void {
  if (!String(uWS.App).includes('[native code]')) {
    throw new Error('uWebSockets.js is running its JavaScript fallback (UWS_USE_FALLBACK set, or no native binary for this Node.js); the fan-out needs the native module');
  }
}

/** What every WebSocket route of the price-socket port shares: frame size, idle timeout, pings, backpressure. */
function socketBehaviour(limits: FanoutLimits, idleTimeoutSeconds = 60) {
  return {
    maxPayloadLength: TRANSPORT_MAX_FRAME_BYTES,
    idleTimeout: idleTimeoutSeconds,
    sendPingsAutomatically: true,
    // Above the hub's own bound: the hub closes a slow socket with 4008 before uWS drops anything.
    maxBackpressure: limits.maxBufferedBytes * 2,
    closeOnBackpressureLimit: 0,
  };
}

/**
 * The price socket on uWebSockets.js: each conflated quote is serialised once and handed to uWS
 * topic publish, which writes it to every subscriber from native code (corked per socket).
 */
export function listenUws(
  hub: FanoutHub,
  options: { host: string; port: number; idleTimeoutSeconds?: number; sse?: Parameters<typeof mountSse>[2]; alpaca?: AlpacaStreams },
): Promise<{ server: StreamServer; publisher: TopicPublisher }> {
  assertNativeUws();
  const app = uWS.App();
  app.ws<UwsSocketData<Session>>(STREAM_PATH, {
    ...socketBehaviour(hub.limits, options.idleTimeoutSeconds),
    open: (ws) => void (ws.getUserData().session = hub.open(uwsConnection(ws))),
    message: withinFrameLimit((ws, message, isBinary) => {
      const session = ws.getUserData().session;
      if (session) hub.message(session, isBinary ? undefined : Buffer.from(message).toString('utf8'));
    }),
    drain: (ws) => {
      const session = ws.getUserData().session;
      if (session) hub.drained(session);
    },
    close: (ws) => {
      const session = markUwsClosed(ws);
      if (session) hub.closed(session);
    },
  });
  if (options.alpaca) mountAlpacaStreams(app, options.alpaca, socketBehaviour(hub.limits, options.idleTimeoutSeconds));
  const sse = options.sse ? mountSse(app, hub, options.sse) : undefined;
  app.get('/healthz', (res) => void res.writeHeader('Content-Type', 'application/json').end('{"status":"ok"}'));
  app.any('/*', (res) => void res.writeStatus('404 Not Found').writeHeader('Content-Type', 'application/json').end(JSON.stringify({ error: { code: 'not_found', message: `the price socket is at ${STREAM_PATH}, server-sent events at ${STREAM_PATH}/sse; Alpaca's trading stream at /stream, its stock data stream at /v2/{iex|sip|delayed_sip|test}` } })));

  return new Promise((resolve, reject) => {
    app.listen(options.host, options.port, (listenSocket) => {
      if (!listenSocket) return reject(new Error(`the price socket could not listen on ${options.host}:${options.port}`));
      resolve({
        publisher: {
          publish: (topic, message) => {
            app.publish(topic, message, false);
            sse?.publish(topic, message);
          },
        },
        server: {
          port: uWS.us_socket_local_port(listenSocket),
          close: async () => {
            uWS.us_listen_socket_close(listenSocket);
            sse?.close();
          },
        },
      });
    });
  });
}
