import uWS from 'uWebSockets.js';
import type { FanoutHub, Session, StreamConnection, TopicPublisher } from './fanout-hub.ts';
import { mountSse } from './sse-stream.ts';

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

/**
 * The price socket on uWebSockets.js: each conflated quote is serialised once and handed to uWS
 * topic publish, which writes it to every subscriber from native code (corked per socket).
 */
export function listenUws(
  hub: FanoutHub,
  options: { host: string; port: number; idleTimeoutSeconds?: number; sse?: Parameters<typeof mountSse>[2] },
): Promise<{ server: StreamServer; publisher: TopicPublisher }> {
  assertNativeUws();
  const app = uWS.App();
  app.ws<{ session?: Session }>(STREAM_PATH, {
    maxPayloadLength: 16 * 1024,
    idleTimeout: options.idleTimeoutSeconds ?? 60,
    sendPingsAutomatically: true,
    // Above the hub's own bound: the hub closes a slow socket with 4008 before uWS drops anything.
    maxBackpressure: hub.limits.maxBufferedBytes * 2,
    closeOnBackpressureLimit: 0,
    open: (ws) => {
      let closed = false;
      const connection: StreamConnection = {
        send: (message) => !closed && ws.send(message, false) !== 2,
        bufferedAmount: () => (closed ? 0 : ws.getBufferedAmount()),
        subscribe: (topic) => void (closed || ws.subscribe(topic)),
        unsubscribe: (topic) => void (closed || ws.unsubscribe(topic)),
        close: (code, reason) => {
          if (closed) return;
          closed = true;
          ws.end(code, reason);
        },
      };
      const data = ws.getUserData();
      data.session = hub.open(connection);
      // uWS calls close() after end(); the flag keeps later calls off a dead socket.
      (data as { markClosed?: () => void }).markClosed = () => (closed = true);
    },
    message: (ws, message, isBinary) => {
      const session = ws.getUserData().session;
      if (session) hub.message(session, isBinary ? undefined : Buffer.from(message).toString('utf8'));
    },
    drain: (ws) => {
      const session = ws.getUserData().session;
      if (session) hub.drained(session);
    },
    close: (ws) => {
      const data = ws.getUserData() as { session?: Session; markClosed?: () => void };
      data.markClosed?.();
      if (data.session) hub.closed(data.session);
    },
  });
  const sse = options.sse ? mountSse(app, hub, options.sse) : undefined;
  app.get('/healthz', (res) => void res.writeHeader('Content-Type', 'application/json').end('{"status":"ok"}'));
  app.any('/*', (res) => void res.writeStatus('404 Not Found').writeHeader('Content-Type', 'application/json').end(JSON.stringify({ error: { code: 'not_found', message: `the price socket is at ${STREAM_PATH}, server-sent events at ${STREAM_PATH}/sse` } })));

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
