import type { OrderUpdate, OrderUpdates } from '../../application/market/market-data.ts';
import type { Logger } from '../logging/logger.ts';
import type { TopicPublisher } from './stream-connection.ts';

/** One protocol's view of order updates: the topic an account's sockets join, and the frame an update makes. */
export interface OrderUpdateChannel {
  topic(accountId: string): string;
  /** The serialised message, or undefined when this protocol says nothing about the update. */
  message(update: OrderUpdate): string | undefined;
}

interface AccountListener {
  /** Sockets per channel. */
  readonly members: Map<OrderUpdateChannel, number>;
  readonly stop: Promise<() => Promise<void>>;
}

/**
 * Live order updates to the fan-out's sockets: one upstream subscription per account while any of
 * its sockets listens, whatever the protocol; each update is serialised once per channel that has
 * members, and published to that channel's account topic (nothing for a channel without members).
 */
export class OrderUpdateRelay {
  private readonly accounts = new Map<string, AccountListener>();

  constructor(
    private readonly options: {
      readonly orderUpdates: OrderUpdates;
      readonly publisher: () => TopicPublisher | undefined;
      readonly logger: Logger;
    },
  ) {}

  /** A socket of the account listens on the channel: it must subscribe to `topic(accountId)` itself. */
  join(accountId: string, channel: OrderUpdateChannel): void {
    const listener = this.accounts.get(accountId) ?? this.listen(accountId);
    listener.members.set(channel, (listener.members.get(channel) ?? 0) + 1);
  }

  leave(accountId: string, channel: OrderUpdateChannel): void {
    const listener = this.accounts.get(accountId);
    const count = listener?.members.get(channel);
    if (!listener || count === undefined) return;
    if (count > 1) listener.members.set(channel, count - 1);
    else listener.members.delete(channel);
    if (listener.members.size > 0) return;
    this.accounts.delete(accountId);
    void listener.stop.then((stop) => stop()).catch((error: unknown) => this.options.logger.warn({ err: error, accountId }, 'order updates unsubscription failed'));
  }

  async stop(): Promise<void> {
    for (const listener of this.accounts.values()) await (await listener.stop)();
    this.accounts.clear();
  }

  private listen(accountId: string): AccountListener {
    const members = new Map<OrderUpdateChannel, number>();
    const stop = this.options.orderUpdates.subscribe(accountId, (update) => this.deliver(accountId, members, update));
    stop.catch((error: unknown) => this.options.logger.error({ err: error, accountId }, 'order updates subscription failed'));
    const listener = { members, stop };
    this.accounts.set(accountId, listener);
    return listener;
  }

  private deliver(accountId: string, members: ReadonlyMap<OrderUpdateChannel, number>, update: OrderUpdate): void {
    const publisher = this.options.publisher();
    if (!publisher) return;
    for (const channel of members.keys()) {
      const message = channel.message(update);
      if (message !== undefined) publisher.publish(channel.topic(accountId), message);
    }
  }
}
