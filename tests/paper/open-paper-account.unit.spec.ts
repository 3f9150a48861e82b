import { describe, expect, it } from 'vitest';
import { openPaperAccount, PAPER_TOKEN_TTL_SECONDS } from '../../application/paper/open-paper-account.ts';

describe('opening a paper account', () => {
  const clock = { now: () => new Date('2026-03-02T14:30:00.750Z') };

  it('gives a new account id and a trader token for it that ends a week later, to the second', () => {
    const issued: Array<{ accountId: string; expiresAt: string }> = [];
    const open = openPaperAccount({
      clock,
      newAccountId: () => '7d0c3a52-8f43-4f0e-9d55-0d6f2b1c9a10',
      tokens: { issue: (accountId, expiresAt) => (issued.push({ accountId, expiresAt: expiresAt.toISOString() }), `token-of-${accountId}`) },
    });
    expect(open()).toEqual({ accountId: '7d0c3a52-8f43-4f0e-9d55-0d6f2b1c9a10', token: 'token-of-7d0c3a52-8f43-4f0e-9d55-0d6f2b1c9a10', expiresAt: '2026-03-09T14:30:00.000Z' });
    expect(issued).toEqual([{ accountId: '7d0c3a52-8f43-4f0e-9d55-0d6f2b1c9a10', expiresAt: '2026-03-09T14:30:00.000Z' }]);
    expect(PAPER_TOKEN_TTL_SECONDS).toBe(7 * 24 * 3600);
  });

  it('opens a different account each time', () => {
    let next = 0;
    const open = openPaperAccount({ clock, newAccountId: () => `account-${(next += 1)}`, tokens: { issue: (accountId) => accountId }, ttlSeconds: 60 });
    expect([open().accountId, open().accountId]).toEqual(['account-1', 'account-2']);
  });
});
