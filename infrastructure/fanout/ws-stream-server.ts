import { WebSocketServer, type WebSocket } from 'ws';
import type { FanoutHub, StreamConnection, TopicPublisher } from './fanout-hub.ts';
import { MAX_CLIENT_FRAME_BYTES } from './stream-connection.ts';
import { TopicRegistry } from './topic-registry.ts';
import type { StreamServer } from './uws-stream-server.ts';

/**
 * The baseline the benchmark compares against: the same hub (protocol, conflation, backpressure)
 * on the `ws` package, where a topic is a set of sockets and publish sends to each in JavaScript.
 */
export function listenWs(hub: FanoutHub, options: { host: string; port: number }): Promise<{ server: StreamServer; publisher: TopicPublisher }> {
  const topics = new TopicRegistry<WebSocket>();
  const publisher: TopicPublisher = {
    publish(topic, message) {
      for (const socket of topics.members(topic)) socket.send(message);
    },
  };
  const wss = new WebSocketServer({ host: options.host, port: options.port, path: '/v1/stream', maxPayload: MAX_CLIENT_FRAME_BYTES });
  wss.on('connection', (socket) => {
    const joined = new Set<string>();
    const connection: StreamConnection = {
      send: (message) => {
        if (socket.readyState !== socket.OPEN) return false;
        socket.send(message);
        return true;
      },
      bufferedAmount: () => socket.bufferedAmount,
      subscribe: (topic) => {
        joined.add(topic);
        topics.join(topic, socket);
      },
      unsubscribe: (topic) => {
        joined.delete(topic);
        topics.leave(topic, socket);
      },
      close: (code, reason) => socket.close(code, reason),
    };
    const session = hub.open(connection);
    socket.on('message', (data, isBinary) => hub.message(session, isBinary ? undefined : data.toString()));
    socket.on('error', () => socket.terminate());
    socket.on('close', () => {
      for (const topic of joined) connection.unsubscribe(topic);
      hub.closed(session);
    });
  });
  return new Promise((resolve, reject) => {
    wss.once('error', reject);
    wss.once('listening', () => {
      const address = wss.address();
      resolve({
        publisher,
        server: {
          port: typeof address === 'object' && address ? address.port : options.port,
          close: () => new Promise<void>((done) => wss.close(() => done())),
        },
      });
    });
  });
}
