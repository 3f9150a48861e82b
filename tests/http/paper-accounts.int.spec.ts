import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTradingApp, type TradingApp } from '../support/trading-app.ts';

/** `POST /v1/paper/accounts` (api.md, "Paper mode"), on the real composition over PGlite. */
describe('paper accounts', () => {
  describe('in paper mode', () => {
    let paper: TradingApp;
    beforeAll(async () => {
      paper = await startTradingApp({ EVENT_STORE: 'pglite', PAPER_ACCOUNTS_PER_MINUTE: '3' }, { paperFunding: true });
    });
    afterAll(() => paper?.close());

    it('opens a fresh account whose token funds, reads and trades it, with no token asked', async () => {
      const opened = await paper.app.inject({ method: 'POST', url: '/v1/paper/accounts' });
      expect(opened.statusCode).toBe(201);
      const { accountId, token, expiresAt } = opened.json<{ accountId: string; token: string; expiresAt: string }>();
      expect(accountId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(6 * 24 * 3600 * 1000);

      const headers = { authorization: `Bearer ${token}` };
      const deposit = await paper.app.inject({ method: 'POST', url: '/v1/account/deposits', headers, payload: { amountCents: 250_000, idempotencyKey: 'paper-1' } });
      expect(deposit.statusCode).toBe(201);
      const account = await paper.app.inject({ method: 'GET', url: '/v1/account', headers: { ...headers, 'x-min-position': deposit.headers['x-position'] as string } });
      expect(account.json()).toMatchObject({ accountId, cashCents: 250_000, buyingPowerCents: 250_000 });

      const another = await paper.app.inject({ method: 'POST', url: '/v1/paper/accounts' });
      expect(another.json<{ accountId: string }>().accountId).not.toBe(accountId);
    });

    it('limits how many accounts one client address opens per minute: 429 rate_limited with Retry-After', async () => {
      const answers = [];
      for (let i = 0; i < 4; i += 1) answers.push(await paper.app.inject({ method: 'POST', url: '/v1/paper/accounts', remoteAddress: '127.0.0.9' }));
      expect(answers.map((answer) => answer.statusCode)).toEqual([201, 201, 201, 429]);
      expect(answers[3]!.json()).toMatchObject({ error: { code: 'rate_limited' } });
      expect(Number(answers[3]!.headers['retry-after'])).toBeGreaterThan(0);
      // Another address has its own budget.
      expect((await paper.app.inject({ method: 'POST', url: '/v1/paper/accounts', remoteAddress: '127.0.0.10' })).statusCode).toBe(201);
    });

    it('is documented in /docs', async () => {
      const docs = (await paper.app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, unknown> }>();
      expect(docs.paths['/v1/paper/accounts']).toBeDefined();
    });
  });

  describe('outside paper mode', () => {
    let live: TradingApp;
    beforeAll(async () => {
      live = await startTradingApp({ EVENT_STORE: 'pglite' }, { paperFunding: false });
    });
    afterAll(() => live?.close());

    it('does not exist: 404 not_found like any unknown route, and /docs does not name it', async () => {
      const answer = await live.app.inject({ method: 'POST', url: '/v1/paper/accounts' });
      expect(answer.statusCode).toBe(404);
      expect(answer.json()).toEqual({ error: { code: 'not_found', message: 'no route POST /v1/paper/accounts' } });
      const docs = (await live.app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, unknown> }>();
      expect(docs.paths['/v1/paper/accounts']).toBeUndefined();
    });
  });
});
