import type { Redis } from 'ioredis';
import type { OrderUpdate, OrderUpdates } from '../../application/market/market-data.ts';

const channelOf = (accountId: string) => `orders:${accountId}`;

/** A message's updates: an array of them; a lone order view (an older projector's message) as one update. */
function updatesIn(message: string): OrderUpdate[] {
  const parsed = JSON.parse(message) as unknown;
  const items = Array.isArray(parsed) ? parsed : [parsed];
  return items.flatMap((item): OrderUpdate[] => {
    if (typeof item !== 'object' || item === null) return [];
    if ('order' in item) return [item as OrderUpdate];
    const view = item as OrderUpdate['order'];
    return typeof view.id === 'string' ? [{ order: view, event: null, at: view.updatedAt }] : [];
  });
}

/**
 * Live order updates over Redis pub/sub, channel `orders:{accountId}`: one message per account
 * per published batch, a JSON array of its updates in order. Publishing uses the shared
 * connection; listening takes a connection of its own (a subscribed Redis connection can do
 * nothing else), which subscribes to an account's channel only while someone here listens.
 */
export class RedisOrderUpdates implements OrderUpdates {
  private subscriber: Redis | undefined;
  private readonly listeners = new Map<string, Set<(update: OrderUpdate) => void>>();

  constructor(private readonly redis: Redis) {}

  async publish(updates: readonly OrderUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    const byAccount = new Map<string, OrderUpdate[]>();
    for (const update of updates) {
      const list = byAccount.get(update.order.accountId);
      if (list) list.push(update);
      else byAccount.set(update.order.accountId, [update]);
    }
    const pipeline = this.redis.pipeline();
    for (const [accountId, list] of byAccount) pipeline.publish(channelOf(accountId), JSON.stringify(list));
    await pipeline.exec();
  }

  async subscribe(accountId: string, listener: (update: OrderUpdate) => void): Promise<() => Promise<void>> {
    const subscriber = this.connectSubscriber();
    const channel = channelOf(accountId);
    let listeners = this.listeners.get(channel);
    if (!listeners) {
      listeners = new Set();
      this.listeners.set(channel, listeners);
      await subscriber.subscribe(channel);
    }
    listeners.add(listener);
    return async () => {
      listeners.delete(listener);
      if (listeners.size > 0 || this.listeners.get(channel) !== listeners) return;
      this.listeners.delete(channel);
      await subscriber.unsubscribe(channel);
    };
  }

  /** How many account channels this instance listens to (the tests watch it drop to zero). */
  get channelCount(): number {
    return this.listeners.size;
  }

  async close(): Promise<void> {
    await this.subscriber?.quit().catch(() => undefined);
  }

  private connectSubscriber(): Redis {
    if (this.subscriber) return this.subscriber;
    const subscriber = this.redis.duplicate();
    subscriber.on('message', (channel: string, message: string) => {
      const listeners = this.listeners.get(channel);
      if (!listeners) return;
      let updates: OrderUpdate[];
      try {
        updates = updatesIn(message);
      } catch {
        return; // not ours to crash on: whoever wrote it, the channel carries on
      }
      for (const update of updates) for (const listener of listeners) listener(update);
    });
    this.subscriber = subscriber;
    return subscriber;
  }
}
