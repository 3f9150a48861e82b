import type { TemplatedApp, WebSocketBehavior } from 'uWebSockets.js';
import { markUwsClosed, uwsConnection, withinFrameLimit, type UwsSocketData } from '../uws-connection.ts';
import { codecFor, type DataCodec } from './data-stream-codec.ts';
import { DATA_FEEDS } from './data-stream-protocol.ts';
import type { AlpacaDataStream, DataSession } from './data-stream.ts';
import type { AlpacaTradingStream, TradingSession } from './trading-stream.ts';

export interface AlpacaStreams {
  readonly trading: AlpacaTradingStream;
  readonly data: AlpacaDataStream;
}

type Shared = Pick<WebSocketBehavior<unknown>, 'maxPayloadLength' | 'idleTimeout' | 'sendPingsAutomatically' | 'maxBackpressure' | 'closeOnBackpressureLimit'>;
type DataSocket = UwsSocketData<DataSession> & { codec: DataCodec };

/**
 * Alpaca's streams on the price-socket port: `/stream` (trading, JSON in text or binary frames)
 * and `/v2/{feed}` (stock data; the encoding is chosen at the upgrade from its Content-Type).
 */
export function mountAlpacaStreams(app: TemplatedApp, streams: AlpacaStreams, shared: Shared): void {
  app.ws<UwsSocketData<TradingSession>>('/stream', {
    ...shared,
    open: (ws) => void (ws.getUserData().session = streams.trading.open(uwsConnection(ws))),
    message: withinFrameLimit((ws, message) => {
      const session = ws.getUserData().session;
      if (session) streams.trading.message(session, Buffer.from(message).toString('utf8'));
    }),
    close: (ws) => {
      const session = markUwsClosed(ws);
      if (session) streams.trading.closed(session);
    },
  });

  app.ws<DataSocket>('/v2/:feed', {
    ...shared,
    upgrade: (res, req, context) => {
      const feed = req.getParameter(0);
      if (!(DATA_FEEDS as readonly string[]).includes(feed)) {
        res.writeStatus('404 Not Found').writeHeader('Content-Type', 'application/json').end(JSON.stringify({ error: { code: 'not_found', message: `no feed ${feed}: the stock data stream serves ${DATA_FEEDS.join(', ')}` } }));
        return;
      }
      const data: DataSocket = { codec: codecFor(req.getHeader('content-type')) };
      res.upgrade(data, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
    },
    open: (ws) => {
      const data = ws.getUserData();
      data.session = streams.data.open(uwsConnection(ws), data.codec);
    },
    message: withinFrameLimit((ws, message, isBinary) => {
      // uWS reuses the buffer after this call; a frame held during an authentication needs its own copy.
      const session = ws.getUserData().session;
      if (session) streams.data.message(session, new Uint8Array(message.slice(0)), isBinary);
    }),
    close: (ws) => {
      const session = markUwsClosed(ws);
      if (session) streams.data.closed(session);
    },
  });
}
