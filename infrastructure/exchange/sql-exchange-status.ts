import type { ExchangeAvailability } from '../../application/exchange/exchange.ts';
import type { SqlClient } from '../persistence/sql-client.ts';

const EXCHANGE = 'primary';

/**
 * The worker's circuit-breaker state in the database, so every API instance refuses new orders
 * (503 `exchange_unavailable`) while the exchange is down. Reads are cached briefly.
 */
export class SqlExchangeStatus implements ExchangeAvailability {
  private cached: { routable: boolean; at: number } | undefined;

  constructor(
    private readonly db: SqlClient,
    private readonly cacheMs = 250,
  ) {}

  async routable(): Promise<boolean> {
    if (this.cached && Date.now() - this.cached.at < this.cacheMs) return this.cached.routable;
    const [row] = await this.db.query<{ circuit: string }>('SELECT circuit FROM exchange_status WHERE exchange = $1', [EXCHANGE]);
    const routable = row?.circuit !== 'open';
    this.cached = { routable, at: Date.now() };
    return routable;
  }

  async record(circuit: 'open' | 'half_open' | 'closed'): Promise<void> {
    await this.db.query(
      `INSERT INTO exchange_status (exchange, circuit, changed_at) VALUES ($1, $2, now())
       ON CONFLICT (exchange) DO UPDATE SET circuit = EXCLUDED.circuit, changed_at = EXCLUDED.changed_at`,
      [EXCHANGE, circuit],
    );
    this.cached = undefined;
  }
}
