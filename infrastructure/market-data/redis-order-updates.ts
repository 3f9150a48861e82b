import type { Redis } from 'ioredis';
import type { OrderUpdate, OrderUpdates } from '../../application/market/market-data.ts';

const channelOf = (accountId: string) => `orders:${accountId}`;

/**
 * Live order updates over Redis pub/sub, channel `orders:{accountId}`. Publishing uses the shared
 * connection; listening takes a connection of its own (a subscribed Redis connection can do
 * nothing else), which subscribes to an account's channel only while someone here listens.
 */
export class RedisOrderUpdates implements OrderUpdates {
  private subscriber: Redis | undefined;
  private readonly listeners = new Map<string, Set<(update: OrderUpdate) => void>>();

  constructor(private readonly redis: Redis) {}

  async publish(updates: readonly OrderUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const update of updates) pipeline.publish(channelOf(update.accountId), JSON.stringify(update));
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
      const update = JSON.parse(message) as OrderUpdate;
      for (const listener of listeners) listener(update);
    });
    this.subscriber = subscriber;
    return subscriber;
  }
}
