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
    redis.defineCommand('putQuoteIfNewer', {
      numberOfKeys: 2,
      lua: `
        local current = redis.call('HGET', KEYS[1], ARGV[1])
        if current and cjson.decode(current).seq >= tonumber(ARGV[2]) then return 0 end
        redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[4])
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
        return 1`,
    });
  }

  async put(ticks: readonly Tick[]): Promise<void> {
    if (ticks.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const tick of ticks) {
      (pipeline as unknown as { putQuoteIfNewer(...args: unknown[]): void }).putQuoteIfNewer(this.latestKey, this.opensKey, tick.symbol, tick.seq, JSON.stringify(tick), tick.priceCents);
    }
    await pipeline.exec();
  }

  async latest(symbol: string): Promise<Quote | undefined> {
    const [raw, open] = await this.redis.pipeline().hget(this.latestKey, symbol).hget(this.opensKey, symbol).exec().then((results) => (results ?? []).map(([, value]) => value as string | null));
    if (!raw) return undefined;
    const tick = JSON.parse(raw) as Tick;
    return quoteOf({ ...tick, openCents: tick.openCents ?? (open ? Number(open) : tick.priceCents) });
  }
}
