import type { Redis } from 'ioredis';
import { quoteOf, type LatestQuotes, type Quote, type Tick } from '../../application/market/market-data.ts';

/**
 * Latest quotes in Redis for every API instance (`GET /v1/symbols/:symbol`): one hash field per
 * symbol, written only forward (a Lua script compares sequence numbers), and the first price of
 * the day per symbol for the change.
 */
export class RedisLatestQuotes implements LatestQuotes {
  private readonly latestKey: string;
  private readonly opensKey: string;

  /** `prefix` namespaces the keys (one deployment, or one test, per prefix). */
  constructor(
    private readonly redis: Redis,
    prefix = 'trading-core:',
  ) {
    this.latestKey = `${prefix}quotes:latest`;
    this.opensKey = `${prefix}quotes:open`;
    // ARGV: symbol, seq, tick JSON, price — four per tick; one call for a whole batch.
    redis.defineCommand('putQuotesIfNewer', {
      numberOfKeys: 2,
      lua: `
        local written = 0
        for i = 1, #ARGV, 4 do
          local current = redis.call('HGET', KEYS[1], ARGV[i])
          if not current or cjson.decode(current).seq < tonumber(ARGV[i + 1]) then
            redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 3])
            redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2])
            written = written + 1
          end
        end
        return written`,
    });
  }

  async put(ticks: readonly Tick[]): Promise<void> {
    if (ticks.length === 0) return;
    const args = ticks.flatMap((tick) => [tick.symbol, tick.seq, JSON.stringify(tick), tick.priceCents]);
    await (this.redis as unknown as { putQuotesIfNewer(...args: unknown[]): Promise<number> }).putQuotesIfNewer(this.latestKey, this.opensKey, ...args);
  }

  async latest(symbol: string): Promise<Quote | undefined> {
    const [raw, open] = await this.redis.pipeline().hget(this.latestKey, symbol).hget(this.opensKey, symbol).exec().then((results) => (results ?? []).map(([, value]) => value as string | null));
    if (!raw) return undefined;
    const tick = JSON.parse(raw) as Tick;
    return quoteOf({ ...tick, openCents: tick.openCents ?? (open ? Number(open) : tick.priceCents) });
  }
}
