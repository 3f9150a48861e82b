import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { alpacaTimestamp } from './alpaca-query.ts';
import { DomainError } from '../../../domain/shared/domain-error.ts';
import type { TradingDependencies } from '../routes/trading-dependencies.ts';

const TRADING_ROLES = ['trader', 'admin'] as const;
const MS_PER_DAY = 86_400_000;

/** Alpaca's market clock and calendar (`/v2/clock`, `/v2/calendar`): the simulated market's schedule, no ledger. */
export const alpacaClockRoutes: FastifyPluginAsyncZod<TradingDependencies> = async (app, deps) => {
  const config = { roles: TRADING_ROLES };
  const tags = ['alpaca'];

  // The simulated market trades around the clock, every day: always open, the session ends at midnight UTC.
  app.get('/v2/clock', { config, schema: { tags, summary: 'The market clock (Alpaca)' } }, async () => {
    const now = deps.clock.now();
    const midnight = new Date(Math.floor(now.getTime() / MS_PER_DAY) * MS_PER_DAY + MS_PER_DAY).toISOString();
    return { timestamp: now.toISOString(), is_open: true, next_open: midnight, next_close: midnight };
  });

  app.get(
    '/v2/calendar',
    { config, schema: { tags, summary: 'Trading days (Alpaca)', querystring: z.object({ start: alpacaTimestamp.optional(), end: alpacaTimestamp.optional(), date_type: z.enum(['TRADING', 'SETTLEMENT']).optional() }) } },
    async (request) => {
      const today = Math.floor(deps.clock.now().getTime() / MS_PER_DAY) * MS_PER_DAY;
      const start = request.query.start ? Date.parse(request.query.start.slice(0, 10)) : today;
      const end = request.query.end ? Date.parse(request.query.end.slice(0, 10)) : start + 30 * MS_PER_DAY;
      if (end < start) throw new DomainError('invalid_order', 'end is before start');
      if ((end - start) / MS_PER_DAY > 3_660) throw new DomainError('invalid_order', 'at most ten years of calendar at once');
      const days: Array<Record<string, string>> = [];
      for (let day = start; day <= end; day += MS_PER_DAY) {
        const date = new Date(day).toISOString().slice(0, 10);
        days.push({ date, open: '00:00', close: '23:59', session_open: '0000', session_close: '2359', settlement_date: new Date(day + MS_PER_DAY).toISOString().slice(0, 10) });
      }
      return days;
    },
  );
};
