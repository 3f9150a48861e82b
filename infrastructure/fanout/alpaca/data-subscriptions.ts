import { DATA_CHANNELS, type DataChannel, type SubscriptionChange } from './data-stream-protocol.ts';

/** The channels that carry data here, and who listens to each symbol on them. */
export const DATA_CARRYING = ['trades', 'quotes', 'bars'] as const;
export type DataCarrying = (typeof DATA_CARRYING)[number];

/** One session's cumulative subscription: a set of symbols per channel. */
export type Subscription = ReadonlyMap<DataChannel, Set<string>>;

export const emptySubscription = (): Subscription => new Map(DATA_CHANNELS.map((channel) => [channel, new Set<string>()]));

/**
 * Every data session's subscription, indexed by symbol for the channels that carry data, so a
 * window's delivery touches only the sessions of the symbols that moved. Generic in the session
 * so the index holds the stream's own session objects.
 */
export class SubscriptionIndex<Session extends { readonly subscription: Subscription }> {
  private readonly index = new Map<DataCarrying, Map<string, Set<Session>>>(DATA_CARRYING.map((channel) => [channel, new Map()]));

  constructor(
    private readonly maxSymbols: number,
    /** Told when a symbol gains its first, or loses its last, bar subscriber. */
    private readonly onBars: (symbol: string, watched: boolean) => void,
  ) {}

  listeners(channel: DataCarrying, symbol: string): ReadonlySet<Session> | undefined {
    return this.index.get(channel)!.get(symbol);
  }

  /** Applies a subscribe or unsubscribe whole, or — for `"*"` or past the symbol limit — not at all (false). */
  change(session: Session, change: SubscriptionChange): boolean {
    const subscribing = change.action === 'subscribe';
    if (subscribing) {
      const added = new Set<string>();
      for (const channel of DATA_CHANNELS) for (const symbol of change[channel] ?? []) {
        if (symbol === '*') return false;
        added.add(symbol);
      }
      const current = session.subscription;
      const after = new Set([...added, ...[...current.values()].flatMap((symbols) => [...symbols])]);
      if (after.size > this.maxSymbols) return false;
    }
    for (const channel of DATA_CHANNELS) {
      for (const symbol of change[channel] ?? []) {
        if (subscribing) this.add(session, channel, symbol);
        else this.remove(session, channel, symbol);
      }
    }
    return true;
  }

  /** Removes every subscription of a session that ended. */
  drop(session: Session): void {
    for (const [channel, symbols] of session.subscription) for (const symbol of [...symbols]) this.remove(session, channel, symbol);
  }

  private add(session: Session, channel: DataChannel, symbol: string): void {
    const symbols = session.subscription.get(channel)!;
    if (symbols.has(symbol)) return;
    symbols.add(symbol);
    const bySymbol = this.index.get(channel as DataCarrying);
    if (!bySymbol) return;
    const sessions = bySymbol.get(symbol) ?? new Set<Session>();
    if (sessions.size === 0) {
      bySymbol.set(symbol, sessions);
      if (channel === 'bars') this.onBars(symbol, true);
    }
    sessions.add(session);
  }

  private remove(session: Session, channel: DataChannel, symbol: string): void {
    if (!session.subscription.get(channel)!.delete(symbol)) return;
    const bySymbol = this.index.get(channel as DataCarrying);
    const sessions = bySymbol?.get(symbol);
    if (!sessions) return;
    sessions.delete(session);
    if (sessions.size > 0) return;
    bySymbol!.delete(symbol);
    if (channel === 'bars') this.onBars(symbol, false);
  }
}
