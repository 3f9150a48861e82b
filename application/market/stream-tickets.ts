/** Who a ticket lets in: the account and role of the bearer token it was issued against. */
export interface TicketHolder {
  readonly accountId: string;
  readonly role: 'trader' | 'auditor' | 'admin';
}

/**
 * Single-use tickets for the SSE stream (browsers cannot set headers on EventSource, and a token
 * never goes into a URL): issued to an authenticated caller, valid for a short time, redeemed once.
 */
export interface StreamTickets {
  issue(holder: TicketHolder): Promise<{ ticket: string; expiresAt: string }>;
  /** The holder, once; undefined for an unknown, used or expired ticket. */
  redeem(ticket: string): Promise<TicketHolder | undefined>;
}

export const TICKET_TTL_MS = 30_000;
