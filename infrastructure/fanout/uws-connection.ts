import type { WebSocket } from 'uWebSockets.js';
import type { StreamConnection } from './stream-connection.ts';

/** What every uWS route keeps per socket: the protocol's session, and how to mark the socket dead. */
export interface UwsSocketData<Session> {
  session?: Session;
  markClosed?: () => void;
}

/**
 * A uWS socket as a stream connection (text frames for strings, binary for bytes). uWS calls the
 * route's close handler after `end()`, and a dead socket must not be touched: the flag, set on
 * either side, keeps every later call off it.
 */
export function uwsConnection<Session>(ws: WebSocket<UwsSocketData<Session>>): StreamConnection<string | Uint8Array> {
  let closed = false;
  ws.getUserData().markClosed = () => (closed = true);
  return {
    send: (frame) => !closed && ws.send(frame, typeof frame !== 'string') !== 2,
    bufferedAmount: () => (closed ? 0 : ws.getBufferedAmount()),
    subscribe: (topic) => void (closed || ws.subscribe(topic)),
    unsubscribe: (topic) => void (closed || ws.unsubscribe(topic)),
    close: (code, reason) => {
      if (closed) return;
      closed = true;
      ws.end(code, reason);
    },
  };
}

/** The route's close handler's part: the socket is dead from here on. */
export function markUwsClosed<Session>(ws: WebSocket<UwsSocketData<Session>>): Session | undefined {
  const data = ws.getUserData();
  data.markClosed?.();
  return data.session;
}
