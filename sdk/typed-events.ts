/**
 * A small typed listener registry. Unlike Node's EventEmitter, an 'error' nobody listens to is
 * not thrown: a server's `unknown_symbol` answer must not crash an application that ignores it.
 */
export class TypedEvents<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<(payload: never) => void>>();

  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): () => void {
    const set = this.listeners.get(event) ?? new Set();
    set.add(listener);
    this.listeners.set(event, set);
    return () => this.off(event, listener);
  }

  off<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): void {
    this.listeners.get(event)?.delete(listener);
  }

  /** The next payload of `event`. */
  once<K extends keyof Events>(event: K): Promise<Events[K]> {
    return new Promise((resolve) => {
      const remove = this.on(event, (payload) => {
        remove();
        resolve(payload);
      });
    });
  }

  /**
   * Calls the listeners in order. A listener that throws does not stop the others or the
   * client's bookkeeping: its error is rethrown on its own, as an uncaught exception.
   */
  protected emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set] as Array<(payload: Events[K]) => void>) {
      try {
        listener(payload);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
