import type { FanoutLimits, StreamConnection } from '../stream-connection.ts';
import { MessageBudget } from '../message-budget.ts';

/** An Alpaca-protocol connection: text frames, and binary ones for MessagePack. */
export type AlpacaConnection = StreamConnection<string | Uint8Array>;

/** Who a stream's credentials name: an API key pair (looked up in the read models) or our bearer JWT. */
export interface StreamCredentials {
  apiKey(keyId: string, secret: string): Promise<{ accountId: string } | undefined>;
  token(token: string): { accountId: string } | undefined;
}

/** The most client messages held while an authentication is being looked up. */
const MAX_HELD = 16;

export interface GateEvents {
  /** The connection did not authenticate in time. */
  timedOut(): void;
  /** The message budget just ran out (told once). */
  limited(): void;
  /** The client kept flooding: close it. */
  flooded(): void;
}

/**
 * What every Alpaca stream session does before its protocol sees a message: the message budget
 * (the price socket's), the authentication deadline, and messages held while a key is being
 * looked up (a client may send `subscribe` right behind `auth`), replayed in order after.
 */
export class SessionGate<Message> {
  private readonly budget: MessageBudget;
  private timer: NodeJS.Timeout | undefined;
  private held: Message[] | undefined;

  constructor(limits: FanoutLimits, private readonly events: GateEvents) {
    this.budget = new MessageBudget(limits.messagesPerSecond, Date.now());
    this.timer = setTimeout(() => events.timedOut(), limits.authTimeoutMs);
  }

  /** Hands the message to `handle` now, later (after the lookup), or never (over budget). */
  admit(message: Message, handle: (message: Message) => void): void {
    const verdict = this.budget.take(Date.now());
    if (verdict.tell) this.events.limited();
    if (verdict.close) return this.events.flooded();
    if (!verdict.allowed) return;
    if (!this.held) return handle(message);
    if (this.held.length < MAX_HELD) this.held.push(message);
  }

  /** An authentication lookup began: hold what comes until it ends. */
  hold(): void {
    this.held ??= [];
  }

  /** The lookup ended: the deadline stops when it authenticated; held messages go to `handle`. */
  release(authenticated: boolean, handle: (message: Message) => void): void {
    if (authenticated) this.stopDeadline();
    const held = this.held ?? [];
    this.held = undefined;
    // A held message may start another lookup: what follows it is held again.
    for (const message of held) {
      const again = this.held as Message[] | undefined;
      if (again) again.push(message);
      else handle(message);
    }
  }

  stopDeadline(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
