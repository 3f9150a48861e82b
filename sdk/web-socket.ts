/**
 * The part of the WHATWG WebSocket API the client uses, so one client runs in browsers (their
 * global `WebSocket`), on runtimes that have one (Node 22+, Deno, Bun) and on Node 20, where the
 * `ws` package stands in. `ws` implements the same event-target API; it is loaded only when no
 * global WebSocket exists, so a browser bundle never executes it.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: never) => void): void;
  /** `ws` only: drops the connection without a closing handshake. */
  terminate?(): void;
}

/** What the listeners receive (text frames carry a string; binary ones a Blob, ArrayBuffer or Buffer). */
export interface SocketMessageEvent {
  readonly data: unknown;
}
export interface SocketCloseEvent {
  readonly code: number;
  readonly reason: string;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export const READY_STATE = { connecting: 0, open: 1, closing: 2, closed: 3 } as const;

/**
 * Opens a socket with `implementation`, else the global WebSocket, else `ws` (without
 * per-message compression: quotes are small and the server does not offer it).
 */
export async function openWebSocket(url: string, implementation?: WebSocketConstructor): Promise<WebSocketLike> {
  const Implementation = implementation ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (Implementation) return new Implementation(url);
  const { default: NodeWebSocket } = await import('ws');
  return new NodeWebSocket(url, { perMessageDeflate: false }) as unknown as WebSocketLike;
}
