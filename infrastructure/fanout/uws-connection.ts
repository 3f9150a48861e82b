import type { WebSocket } from 'uWebSockets.js';
import { MAX_CLIENT_FRAME_BYTES, type StreamConnection } from './stream-connection.ts';

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

/**
 * The transport's own bound, uWS's `maxPayloadLength`. uWS cuts a frame over it without a close
 * frame (the client sees 1006), so it sits above the client limit, which `withinFrameLimit`
 * enforces with a proper 1009; it also bounds what uWS buffers for one socket's partial frame.
 */
export const TRANSPORT_MAX_FRAME_BYTES = 4 * MAX_CLIENT_FRAME_BYTES;

/** A route's message handler that first closes a socket whose frame is over 16 KiB with 1009 (message too big). */
export function withinFrameLimit<Data>(handle: (ws: WebSocket<Data>, message: ArrayBuffer, isBinary: boolean) => void): (ws: WebSocket<Data>, message: ArrayBuffer, isBinary: boolean) => void {
  return (ws, message, isBinary) => {
    if (message.byteLength > MAX_CLIENT_FRAME_BYTES) return void ws.end(1009, `a message may be at most ${MAX_CLIENT_FRAME_BYTES} bytes`);
    handle(ws, message, isBinary);
  };
}

/** The route's close handler's part: the socket is dead from here on. */
export function markUwsClosed<Session>(ws: WebSocket<UwsSocketData<Session>>): Session | undefined {
  const data = ws.getUserData();
  data.markClosed?.();
  return data.session;
}
