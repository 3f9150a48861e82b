import type WebSocket from 'ws';

/** Polls until `ready`, or throws naming what did not happen and what the client saw. */
export async function waitUntil(ready: () => boolean, timeoutMs: number, failure: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(failure());
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Closes the socket and waits for its close (a second at most, then it is terminated). */
export function closeSocket(socket: WebSocket, alreadyClosed: boolean): Promise<void> {
  if (alreadyClosed) return Promise.resolve();
  return new Promise((resolve) => {
    socket.once('close', () => resolve());
    socket.close();
    setTimeout(() => {
      socket.terminate();
      resolve();
    }, 1_000).unref();
  });
}
