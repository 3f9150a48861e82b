import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { TICKET_TTL_MS, type StreamTickets, type TicketHolder } from '../../application/market/stream-tickets.ts';

const newTicket = () => randomBytes(24).toString('base64url');
const TICKET = /^[A-Za-z0-9_-]{32}$/;

/** Tickets in Redis, shared by every API and fan-out instance; redeemed with GETDEL (once). */
export class RedisStreamTickets implements StreamTickets {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'trading-core:',
  ) {}

  async issue(holder: TicketHolder): Promise<{ ticket: string; expiresAt: string }> {
    const ticket = newTicket();
    await this.redis.set(`${this.prefix}stream-ticket:${ticket}`, JSON.stringify(holder), 'PX', TICKET_TTL_MS);
    return { ticket, expiresAt: new Date(Date.now() + TICKET_TTL_MS).toISOString() };
  }

  async redeem(ticket: string): Promise<TicketHolder | undefined> {
    if (!TICKET.test(ticket)) return undefined;
    const holder = await this.redis.getdel(`${this.prefix}stream-ticket:${ticket}`);
    return holder ? (JSON.parse(holder) as TicketHolder) : undefined;
  }
}

/** Tickets in this process (embedded mode, where the API and the price socket share it). */
export class InProcessStreamTickets implements StreamTickets {
  private readonly tickets = new Map<string, { holder: TicketHolder; expiresAt: number }>();

  async issue(holder: TicketHolder): Promise<{ ticket: string; expiresAt: string }> {
    const now = Date.now();
    for (const [ticket, entry] of this.tickets) if (entry.expiresAt <= now) this.tickets.delete(ticket);
    const ticket = newTicket();
    this.tickets.set(ticket, { holder, expiresAt: now + TICKET_TTL_MS });
    return { ticket, expiresAt: new Date(now + TICKET_TTL_MS).toISOString() };
  }

  async redeem(ticket: string): Promise<TicketHolder | undefined> {
    const entry = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    return entry && entry.expiresAt > Date.now() ? entry.holder : undefined;
  }
}
